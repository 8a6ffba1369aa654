import FleetModel
import FleetStore
import JSON

extension TaskQueue {
    /// Stores a task whose data needs no check. Throws `FleetError.taskAlreadyExists` when it was not stored.
    public func createTask(_ task: NewTask, at now: Timestamp) async throws {
        if try await insertTask(task, at: now) == nil { throw FleetError.taskAlreadyExists(task.id) }
    }

    /// Stores each task, in order, as `createTask` does.
    public func createTasks(_ tasks: [NewTask], at now: Timestamp) async throws {
        for task in tasks { try await createTask(task, at: now) }
    }
}
