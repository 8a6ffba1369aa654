import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

/// The statements on the request path, prepared once per connection: a request then costs PostgreSQL a bind and
/// an execute, not a parse and a plan as well (planning the poll took about as long as running it). Each names
/// itself: the driver's default name is built by reflection on every execution.
enum PostgresStatements {
    static let taskColumns =
        "tasks.seq, tasks.id, tasks.test_id, tasks.type, tasks.version, tasks.data, tasks.state, tasks.agent_id, tasks.created, tasks.claimed, tasks.completed, tasks.failed, tasks.result, tasks.error, tasks.attempts, tasks.ttl, tasks.expires, tasks.locations, tasks.schedule, tasks.slot, tasks.run_rule, tasks.verdict, tasks.down_reason, tasks.verdict_detail, tasks.duration_ms"

    /// Inserts a waiting task unless its id is taken or its type has a registration other than the one its data was
    /// checked against ($9, NULL for none); answers the new row (none when not inserted).
    struct InsertTask: PostgresPreparedStatement {
        static let name = "afm_insert_task"
        typealias Row = PostgresRow
        static let sql = """
            INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires, route, locations, run_rule)
            SELECT $1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $10, $11, $12
            WHERE NOT EXISTS (SELECT 1 FROM task_types WHERE type = $3 AND version = $4 AND updated IS DISTINCT FROM $9)
            ON CONFLICT (id) DO NOTHING RETURNING \(taskColumns)
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .uuid, .uuid, .text, .int8, .text, .timestamptz, .int8, .timestamptz, .timestamptz, .text, .text, .text,
        ]

        let task: NewTask
        let now: Timestamp

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 12)
            bindings.append(task.id)
            bindings.append(task.testID)
            bindings.append(task.type)
            bindings.append(task.version)
            bindings.append(task.dataJSON)
            bindings.append(now)
            bindings.append(task.ttlSeconds)
            bindings.append(task.ttlSeconds.map { now.adding(seconds: Double($0)) })
            bindings.append(task.schemaCheckedAgainst)
            bindings.append(TaskRoute.route(of: task.locations))
            bindings.append(TaskRoute.stored(task.locations))
            bindings.append(task.runRule?.storedText)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// Records the agent (only when something changed or its last-seen time is older than the resolution) and
    /// claims up to `limit` waiting tasks of its capabilities, oldest first. The agent upsert runs even when
    /// nothing is claimed: a data-modifying WITH always executes.
    struct Poll: PostgresPreparedStatement {
        static let name = "afm_poll"
        typealias Row = (Int64, UUID, String, Int64, String?, Timestamp)
        static let sql = """
            WITH seen AS (
                -- Nothing to write when the row is fresh and unchanged: then the statement touches no row, takes no
                -- lock and commits without waiting for the WAL flush, which is what empty polls cost.
                INSERT INTO agents (id, name, last_seen, capabilities, location)
                SELECT $1, $2, $3, $4, $5
                WHERE NOT EXISTS (
                    SELECT 1 FROM agents
                    WHERE id = $1 AND last_seen > $3 - $6 * interval '1 second' AND name = $2
                      AND capabilities = $4 AND location IS NOT DISTINCT FROM $5)
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, last_seen = EXCLUDED.last_seen,
                    capabilities = EXCLUDED.capabilities, location = EXCLUDED.location
            ), offered AS (
                -- The oldest waiting tasks of each capability on each route the agent may take (TaskRoute), then the
                -- oldest of those, each read in order through the tasks_claimable_routed index (type, version, route,
                -- seq) and stopped at the first entry past its route. Equalities on type and version make the bounds
                -- on route end the scan there: a row comparison ends a btree scan only when its first column decides,
                -- so (type, version, route) <= (…) read every task of a type's other routes and versions (1,216 pages
                -- for an agent in SE behind 100,000 tasks for FI, against 15). Ordered by the index's columns, the
                -- cached generic plan cannot prefer walking every task in seq order, as it did for ORDER BY seq. A plain
                -- index scan, unlike a bitmap scan, also marks the entries of claimed tasks dead as it passes them, so
                -- the next claim skips them: see `PostgresTaskStore.connectionParameters`.
                --
                -- LIMIT $10, the number of capabilities, changes nothing but the generic plan's estimate: about one
                -- capability, as most polls have, instead of ten for an array it cannot see. Expecting ten, the
                -- generic plan costs more than the custom plans, so PostgreSQL plans every poll again (0.25 ms each).
                -- LIMIT 4 does the same for the routes, never more than four. Only tasks of several locations ('+')
                -- are checked against their list.
                SELECT claimable.ctid FROM (SELECT * FROM unnest($7::text[], $8::bigint[]) LIMIT $10) AS capability(type, version)
                CROSS JOIN (SELECT * FROM unnest($11::text[]) LIMIT 4) AS place(route)
                CROSS JOIN LATERAL (
                    SELECT ctid, seq FROM tasks
                    WHERE state = 'waiting'
                      AND type = capability.type AND version = capability.version
                      AND (route, seq) > (place.route, 0) AND route <= place.route
                      AND (expires IS NULL OR expires > $3)
                      AND (route <> '+' OR locations LIKE ANY ($12::text[]))
                    ORDER BY type, version, route, seq
                    LIMIT $9
                    FOR UPDATE SKIP LOCKED
                ) claimable
                ORDER BY claimable.seq
                LIMIT $9
            )
            -- By the row versions just locked, a TID scan: a generic plan joining by seq expects a tenth of the table
            -- from offered and, behind a backlog, hashes all of it. (A row another transaction changed after this
            -- statement began but left waiting would be locked and not updated, left for the next poll; no afm
            -- statement leaves a waiting task waiting.)
            UPDATE tasks SET state = 'claimed', agent_id = $1, claimed = $3
            WHERE tasks.ctid = ANY (ARRAY(SELECT ctid FROM offered))
            RETURNING tasks.seq, tasks.id, tasks.type, tasks.version, tasks.data, tasks.created
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .uuid, .text, .timestamptz, .text, .text, .float8, .textArray, .int8Array, .int8, .int8, .textArray, .textArray,
        ]

        let poll: AgentPoll
        let now: Timestamp
        let lastSeenResolution: Double

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 12)
            bindings.append(poll.agentID)
            bindings.append(poll.name)
            bindings.append(now)
            bindings.append(StoredJSON.capabilities(poll.capabilities))
            bindings.append(poll.location.map(StoredJSON.location))
            bindings.append(lastSeenResolution)
            bindings.append(poll.capabilities.map(\.type))
            bindings.append(poll.capabilities.map(\.version))
            bindings.append(Int64(poll.capabilities.isEmpty ? 0 : poll.maxTasks))
            bindings.append(Int64(poll.capabilities.count))
            let lookup = TaskRoute.lookup(for: poll.location)
            bindings.append(lookup.routes)
            bindings.append(lookup.patterns)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Completes (with a result) or fails (with an error) a task claimed by the agent, if the agent is named; a
    /// result only when its type has no result schema in a registration other than the one it was checked against
    /// ($6, NULL for none). Answers whether it changed the task, the state, and whether only the result schema
    /// stopped it.
    struct RecordOutcome: PostgresPreparedStatement {
        static let name = "afm_record_outcome"
        typealias Row = (Bool, String, Bool)
        static let sql = """
            WITH schema_pending AS (
                SELECT $2 AND EXISTS (
                    SELECT 1 FROM tasks JOIN task_types t ON t.type = tasks.type AND t.version = tasks.version
                    WHERE tasks.id = $4 AND t.result_schema IS NOT NULL AND t.updated IS DISTINCT FROM $6) AS pending
            ), done AS (
                UPDATE tasks SET
                    state = CASE WHEN $2 THEN 'completed' ELSE 'failed' END,
                    completed = CASE WHEN $2 THEN $1 ELSE completed END, result = CASE WHEN $2 THEN $3 ELSE result END,
                    failed = CASE WHEN $2 THEN failed ELSE $1 END, error = CASE WHEN $2 THEN error ELSE $3 END
                WHERE id = $4 AND state = 'claimed' AND ($5::uuid IS NULL OR agent_id = $5)
                  AND NOT (SELECT pending FROM schema_pending)
                RETURNING state)
            SELECT true, state, false FROM done
            UNION ALL
            SELECT false, state, state = 'claimed' AND ($5::uuid IS NULL OR agent_id = $5) AND (SELECT pending FROM schema_pending)
            FROM tasks WHERE id = $4 AND NOT EXISTS (SELECT 1 FROM done)
            """
        static let bindingDataTypes: [PostgresDataType] = [.timestamptz, .bool, .text, .uuid, .uuid, .timestamptz]

        let outcome: TaskOutcome
        let taskID: UUID
        let agentID: UUID?
        let now: Timestamp
        let resultCheckedAgainst: Timestamp?

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 6)
            bindings.append(now)
            switch outcome {
            case .result(let json):
                bindings.append(true)
                bindings.append(json)
            case .error(let message):
                bindings.append(false)
                bindings.append(message)
            }
            bindings.append(taskID)
            bindings.append(agentID)
            bindings.append(resultCheckedAgainst)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    struct ReadTask: PostgresPreparedStatement {
        static let name = "afm_read_task"
        typealias Row = PostgresRow
        static let sql = "SELECT \(taskColumns) FROM tasks WHERE id = $1"
        static let bindingDataTypes: [PostgresDataType] = [.uuid]

        let id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// One task type, read for every create and every result that names a registered type.
    struct ReadTaskType: PostgresPreparedStatement {
        static let name = "afm_read_task_type"
        typealias Row = (String, Int64, String, String?, Timestamp, Timestamp)
        static let sql = "SELECT type, version, task_schema, result_schema, created, updated FROM task_types WHERE type = $1 AND version = $2"
        static let bindingDataTypes: [PostgresDataType] = [.text, .int8]

        let type: String
        let version: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(type)
            bindings.append(version)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
