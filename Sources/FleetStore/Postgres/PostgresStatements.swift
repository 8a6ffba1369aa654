import FleetModel
import Foundation
import PostgresNIO

/// The statements on the request path, prepared once per connection: a request then costs PostgreSQL a bind and
/// an execute, not a parse and a plan as well (planning the poll took about as long as running it).
enum PostgresStatements {
    static let taskColumns =
        "tasks.seq, tasks.id, tasks.test_id, tasks.type, tasks.version, tasks.data, tasks.state, tasks.agent_id, tasks.created, tasks.claimed, tasks.completed, tasks.failed, tasks.result, tasks.error, tasks.attempts, tasks.ttl, tasks.expires"

    /// Inserts a waiting task unless its id is taken; answers the new row (none when taken).
    struct InsertTask: PostgresPreparedStatement {
        typealias Row = PostgresRow
        static let sql = """
            INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires)
            VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8)
            ON CONFLICT (id) DO NOTHING RETURNING \(taskColumns)
            """
        static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .text, .int8, .text, .timestamptz, .int8, .timestamptz]

        let task: NewTask
        let now: Timestamp

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 8)
            bindings.append(task.id)
            bindings.append(task.testID)
            bindings.append(task.type)
            bindings.append(task.version)
            bindings.append(task.dataJSON)
            bindings.append(now)
            bindings.append(task.ttlSeconds)
            bindings.append(task.ttlSeconds.map { now.adding(seconds: Double($0)) })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    /// Records the agent (only when something changed or its last-seen time is older than the resolution) and
    /// claims up to `limit` waiting tasks of its capabilities, oldest first. The agent upsert runs even when
    /// nothing is claimed: a data-modifying WITH always executes.
    struct Poll: PostgresPreparedStatement {
        typealias Row = (Int64, UUID, String, Int64, String?)
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
                SELECT seq FROM tasks
                WHERE state = 'waiting'
                  AND (type, version) IN (SELECT * FROM unnest($7::text[], $8::bigint[]))
                  AND (expires IS NULL OR expires > $3)
                ORDER BY seq
                LIMIT $9
                FOR UPDATE SKIP LOCKED
            )
            UPDATE tasks SET state = 'claimed', agent_id = $1, claimed = $3
            FROM offered WHERE tasks.seq = offered.seq
            RETURNING tasks.seq, tasks.id, tasks.type, tasks.version, tasks.data
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .uuid, .text, .timestamptz, .text, .text, .float8, .textArray, .int8Array, .int8,
        ]

        let poll: AgentPoll
        let now: Timestamp
        let lastSeenResolution: Double

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 9)
            bindings.append(poll.agentID)
            bindings.append(poll.name)
            bindings.append(now)
            bindings.append(StoredJSON.capabilities(poll.capabilities))
            bindings.append(poll.location.map(StoredJSON.location))
            bindings.append(lastSeenResolution)
            bindings.append(poll.capabilities.map(\.type))
            bindings.append(poll.capabilities.map(\.version))
            bindings.append(Int64(poll.capabilities.isEmpty ? 0 : poll.maxTasks))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Completes (with a result) or fails (with an error) a task claimed by the agent, if the agent is named; when
    /// nothing changed, answers the state that prevented it.
    struct RecordOutcome: PostgresPreparedStatement {
        typealias Row = (Bool, String)
        static let sql = """
            WITH done AS (
                UPDATE tasks SET
                    state = CASE WHEN $2 THEN 'completed' ELSE 'failed' END,
                    completed = CASE WHEN $2 THEN $1 ELSE completed END, result = CASE WHEN $2 THEN $3 ELSE result END,
                    failed = CASE WHEN $2 THEN failed ELSE $1 END, error = CASE WHEN $2 THEN error ELSE $3 END
                WHERE id = $4 AND state = 'claimed' AND ($5::uuid IS NULL OR agent_id = $5)
                RETURNING state)
            SELECT true, state FROM done
            UNION ALL SELECT false, state FROM tasks WHERE id = $4 AND NOT EXISTS (SELECT 1 FROM done)
            """
        static let bindingDataTypes: [PostgresDataType] = [.timestamptz, .bool, .text, .uuid, .uuid]

        let outcome: TaskOutcome
        let taskID: UUID
        let agentID: UUID?
        let now: Timestamp

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
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
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    struct ReadTask: PostgresPreparedStatement {
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
