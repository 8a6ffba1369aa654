import FleetModel
import FleetStore
import Foundation
import JSON
import SQLiteNIO

extension SQLiteTaskStore {
    public func putTaskType(_ taskType: TaskTypeRecord) async throws -> Bool {
        let existed = try await rows(
            "SELECT 1 AS found FROM task_types WHERE type = ? AND version = ?",
            [.text(taskType.type), .integer(Int(taskType.version))]).isEmpty == false
        try await execute(
            """
            INSERT INTO task_types (type, version, task_schema, result_schema, created, updated) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (type, version) DO UPDATE SET task_schema = excluded.task_schema,
                result_schema = excluded.result_schema, updated = excluded.updated
            """,
            [.text(taskType.type), .integer(Int(taskType.version)), .text(taskType.taskSchemaJSON),
             taskType.resultSchemaJSON.map { .text($0) } ?? .null, .integer(Int(taskType.created.microsecondsSinceEpoch)),
             .integer(Int(taskType.updated.microsecondsSinceEpoch))])
        return !existed
    }

    public func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord? {
        try await rows("SELECT * FROM task_types WHERE type = ? AND version = ?", [.text(type), .integer(Int(version))])
            .first.map(Self.taskTypeRecord)
    }

    public func taskTypes() async throws -> [TaskTypeRecord] {
        try await rows("SELECT * FROM task_types ORDER BY type, version").map(Self.taskTypeRecord)
    }

    public func deleteTaskType(_ type: String, version: Int64) async throws -> Bool {
        !(try await rows("DELETE FROM task_types WHERE type = ? AND version = ? RETURNING type", [.text(type), .integer(Int(version))]).isEmpty)
    }

    static func taskTypeRecord(_ row: SQLiteRow) throws -> TaskTypeRecord {
        TaskTypeRecord(
            type: try row.text("type"), version: Int64(try row.int("version")), taskSchemaJSON: try row.text("task_schema"),
            resultSchemaJSON: row.column("result_schema")?.string,
            created: Timestamp(microsecondsSinceEpoch: Int64(try row.int("created"))),
            updated: Timestamp(microsecondsSinceEpoch: Int64(try row.int("updated"))))
    }
}
