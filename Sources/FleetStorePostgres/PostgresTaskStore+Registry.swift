import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

extension PostgresTaskStore {
    public func putTaskType(_ taskType: TaskTypeRecord) async throws -> Bool {
        try await guarded("task type write") {
            var inserted = false
            // xmax is 0 for a row this statement inserted, non-zero for one it updated.
            for try await (wasInserted) in try await self.client.query(
                """
                INSERT INTO task_types (type, version, task_schema, result_schema, created, updated)
                VALUES (\(taskType.type), \(taskType.version), \(taskType.taskSchemaJSON), \(taskType.resultSchemaJSON),
                        \(taskType.created), \(taskType.updated))
                ON CONFLICT (type, version) DO UPDATE SET task_schema = EXCLUDED.task_schema,
                    result_schema = EXCLUDED.result_schema, updated = EXCLUDED.updated
                RETURNING (xmax = 0)
                """, logger: self.logger
            ).decode(Bool.self) {
                inserted = wasInserted
            }
            return inserted
        }
    }

    public func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord? {
        try await guarded("task types") {
            var found: TaskTypeRecord?
            for try await (type, version, taskSchema, resultSchema, created, updated) in try await self.client.execute(
                PostgresStatements.ReadTaskType(type: type, version: version), logger: self.logger)
            {
                found = TaskTypeRecord(
                    type: type, version: version, taskSchemaJSON: taskSchema, resultSchemaJSON: resultSchema, created: created,
                    updated: updated)
            }
            return found
        }
    }

    public func taskTypes() async throws -> [TaskTypeRecord] {
        try await taskTypeRecords("SELECT type, version, task_schema, result_schema, created, updated FROM task_types ORDER BY type, version")
    }

    public func deleteTaskType(_ type: String, version: Int64) async throws -> Bool {
        try await guarded("task type delete") {
            var deleted = false
            for try await _ in try await self.client.query(
                "DELETE FROM task_types WHERE type = \(type) AND version = \(version) RETURNING version", logger: self.logger
            ).decode(Int64.self) {
                deleted = true
            }
            return deleted
        }
    }

    func taskTypeRecords(_ query: PostgresQuery) async throws -> [TaskTypeRecord] {
        try await guarded("task types") {
            var records: [TaskTypeRecord] = []
            for try await (type, version, taskSchema, resultSchema, created, updated) in try await self.client.query(
                query, logger: self.logger
            ).decode((String, Int64, String, String?, Timestamp, Timestamp).self) {
                records.append(TaskTypeRecord(type: type, version: version, taskSchemaJSON: taskSchema, resultSchemaJSON: resultSchema, created: created, updated: updated))
            }
            return records
        }
    }
}
