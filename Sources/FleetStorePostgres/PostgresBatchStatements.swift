import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

/// The request-path writes and reads for many requests at once (`StatementCoalescer` gathers them): one round trip
/// and one commit for a batch. Each answers per request exactly what the single statement in `PostgresStatements`
/// answers. Arrays cannot hold NULL through the driver, so optional values travel with a flag array beside them.
///
/// Prepared once per connection like those, since one text serves every batch size. With sequential and bitmap scans
/// off for afm's connections (`PostgresTaskStore.connectionParameters`) a generic plan goes through the primary key
/// however small the table was when it was made; planning each batch anew cost PostgreSQL almost as much as
/// running it.
enum PostgresBatchStatements {
    /// Inserts waiting tasks whose ids are free and whose type has no registration other than the one their data was
    /// checked against, in the order given; answers the new rows. The ids must be distinct.
    struct InsertTasks: PostgresPreparedStatement {
        static let name = "afm_insert_tasks"
        typealias Row = PostgresRow
        static let sql = """
            INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires, route, locations, run_rule)
            SELECT n.id, n.test_id, n.type, n.version, CASE WHEN n.has_data THEN n.data END, 'waiting', n.created,
                   CASE WHEN n.has_ttl THEN n.ttl END, CASE WHEN n.has_ttl THEN n.expires END, n.route, NULLIF(n.locations, ''),
                   NULLIF(n.run_rule, '')
            FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int8[], $5::bool[], $6::text[], $7::timestamptz[],
                        $8::bool[], $9::int8[], $10::timestamptz[], $11::bool[], $12::timestamptz[], $13::text[], $14::text[],
                        $15::text[])
                WITH ORDINALITY
                AS n(id, test_id, type, version, has_data, data, created, has_ttl, ttl, expires, checked, checked_against,
                     route, locations, run_rule, position)
            WHERE NOT EXISTS (
                SELECT 1 FROM task_types t
                WHERE t.type = n.type AND t.version = n.version AND (NOT n.checked OR t.updated <> n.checked_against))
            ORDER BY n.position
            ON CONFLICT (id) DO NOTHING RETURNING \(PostgresStatements.taskColumns)
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .uuidArray, .uuidArray, .textArray, .int8Array, .boolArray, .textArray, .timestamptzArray, .boolArray,
            .int8Array, .timestamptzArray, .boolArray, .timestamptzArray, .textArray, .textArray, .textArray,
        ]

        struct Entry: Sendable {
            let task: NewTask
            let now: Timestamp
        }

        let entries: [Entry]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 15)
            bindings.append(entries.map(\.task.id))
            bindings.append(entries.map(\.task.testID))
            bindings.append(entries.map(\.task.type))
            bindings.append(entries.map(\.task.version))
            bindings.append(entries.map { $0.task.dataJSON != nil })
            bindings.append(entries.map { $0.task.dataJSON ?? "" })
            bindings.append(entries.map(\.now))
            bindings.append(entries.map { $0.task.ttlSeconds != nil })
            bindings.append(entries.map { $0.task.ttlSeconds ?? 0 })
            bindings.append(entries.map { entry in entry.task.ttlSeconds.map { entry.now.adding(seconds: Double($0)) } ?? entry.now })
            bindings.append(entries.map { $0.task.schemaCheckedAgainst != nil })
            bindings.append(entries.map { $0.task.schemaCheckedAgainst ?? $0.now })
            bindings.append(entries.map { TaskRoute.route(of: $0.task.locations) })
            // '' for none: the column's NULL (a task for anywhere) never holds an empty list.
            bindings.append(entries.map { TaskRoute.stored($0.task.locations) ?? "" })
            // '' for none, as for locations: a stored rule is never empty.
            bindings.append(entries.map { $0.task.runRule?.storedText ?? "" })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// Records outcomes as `PostgresStatements.RecordOutcome` does, one per task; the task ids must be distinct.
    /// Answers, by position (from 1), whether the task changed, its state before, and whether only the result
    /// schema stopped it; no row for a task that does not exist.
    struct RecordOutcomes: PostgresPreparedStatement {
        static let name = "afm_record_outcomes"
        typealias Row = (Int64, Bool, String, Bool)
        static let sql = """
            WITH given AS (
                SELECT o.*, o.is_result AND EXISTS (
                        SELECT 1 FROM tasks JOIN task_types t ON t.type = tasks.type AND t.version = tasks.version
                        WHERE tasks.id = o.id AND t.result_schema IS NOT NULL
                          AND (NOT o.checked OR t.updated <> o.checked_against)) AS pending
                FROM unnest($1::uuid[], $2::bool[], $3::text[], $4::bool[], $5::uuid[], $6::timestamptz[], $7::bool[],
                            $8::timestamptz[])
                    WITH ORDINALITY AS o(id, is_result, payload, has_agent, agent, at, checked, checked_against, position)
            ), done AS (
                UPDATE tasks SET
                    state = CASE WHEN g.is_result THEN 'completed' ELSE 'failed' END,
                    completed = CASE WHEN g.is_result THEN g.at ELSE tasks.completed END,
                    result = CASE WHEN g.is_result THEN g.payload ELSE tasks.result END,
                    failed = CASE WHEN g.is_result THEN tasks.failed ELSE g.at END,
                    error = CASE WHEN g.is_result THEN tasks.error ELSE g.payload END
                FROM given g
                WHERE tasks.id = g.id AND tasks.state = 'claimed' AND (NOT g.has_agent OR tasks.agent_id = g.agent)
                  AND NOT g.pending
                RETURNING g.position
            )
            SELECT g.position, EXISTS (SELECT 1 FROM done d WHERE d.position = g.position), t.state,
                   t.state = 'claimed' AND (NOT g.has_agent OR t.agent_id = g.agent) AND g.pending
            FROM given g JOIN tasks t ON t.id = g.id
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .uuidArray, .boolArray, .textArray, .boolArray, .uuidArray, .timestamptzArray, .boolArray, .timestamptzArray,
        ]
        struct Entry: Sendable {
            let outcome: TaskOutcome
            let taskID: UUID
            let agentID: UUID?
            let now: Timestamp
            let resultCheckedAgainst: Timestamp?
        }

        let entries: [Entry]
        /// Stands in for an absent agent id (its flag is false).
        private static let noAgent = UUID(canonicalText: "00000000-0000-0000-0000-000000000000")!

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 8)
            bindings.append(entries.map(\.taskID))
            bindings.append(entries.map(\.outcome.isResult))
            bindings.append(entries.map { entry in
                switch entry.outcome {
                case .result(let json): json
                case .error(let message): message
                }
            })
            bindings.append(entries.map { $0.agentID != nil })
            bindings.append(entries.map { $0.agentID ?? Self.noAgent })
            bindings.append(entries.map(\.now))
            bindings.append(entries.map { $0.resultCheckedAgainst != nil })
            bindings.append(entries.map { $0.resultCheckedAgainst ?? $0.now })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The tasks of the given ids.
    struct ReadTasks: PostgresPreparedStatement {
        static let name = "afm_read_tasks"
        typealias Row = PostgresRow
        static let sql = """
            SELECT \(PostgresStatements.taskColumns) FROM tasks WHERE id = ANY($1)
            """
        static let bindingDataTypes: [PostgresDataType] = [.uuidArray]

        let ids: [UUID]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(ids)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }
}
