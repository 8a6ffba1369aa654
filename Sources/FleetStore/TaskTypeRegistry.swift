import FleetModel

/// The JSON Schemas registered for task types: the data and results of their tasks must satisfy them.
public protocol TaskTypeRegistry: Sendable {
    /// Registers or replaces the schemas of a task type; answers whether it was new.
    func putTaskType(_ taskType: TaskTypeRecord) async throws -> Bool
    func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord?
    func taskTypes() async throws -> [TaskTypeRecord]
    /// Answers whether there was one to delete.
    func deleteTaskType(_ type: String, version: Int64) async throws -> Bool
}
