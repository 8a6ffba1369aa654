import FleetModel
import Foundation
import FleetStore
import JSONSchema
import Synchronization

/// Validates task data and results against the schemas registered for their task type, compiling each schema once.
///
/// Schemas are read from the store whenever one may apply (several `afm` processes may share it, and a `PUT` must
/// take effect at once); the compiled form is cached by the schema's text. Most tasks have no registered type: their
/// data and results are stored by statements that themselves make sure no schema applies, so that case costs no
/// extra read.
final class TaskTypeSchemas: Sendable {
    let store: any TaskStore
    private let compiled = Mutex<[String: JSONSchema]>([:])
    /// Types found registered when last looked at: their tasks go straight to the read-and-validate path. Only a hint;
    /// a wrong guess costs a statement, never a check.
    private let registered = Mutex<Set<TaskTypeKey>>([])
    static let cacheLimit = 256

    private struct TaskTypeKey: Hashable {
        let type: String
        let version: Int64
    }

    init(store: any TaskStore) {
        self.store = store
    }

    /// The compiled schema for `text` (a schema already accepted when it was registered).
    func schema(_ text: String) throws -> JSONSchema {
        if let cached = compiled.withLock({ $0[text] }) { return cached }
        let schema = try JSONSchema(json: text)
        compiled.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[text] = schema
        }
        return schema
    }

    /// Stores a new task after checking its data against its type's task schema (a 400 listing every violation);
    /// nil when the task id is taken.
    func insertChecked(_ task: NewTask, data: JSONValue?, at now: Timestamp) async throws -> TaskRecord? {
        let key = TaskTypeKey(type: task.type, version: task.version)
        if !registered.withLock({ $0.contains(key) }),
            let record = try await store.insertTask(task, at: now, unlessTaskTypeRegistered: true)
        {
            return record
        }
        // The type is registered, or the id is taken: check the data the long way, then insert.
        try await validateTaskData(type: task.type, version: task.version, data: data)
        return try await store.insertTask(task, at: now)
    }

    /// Records an agent's outcome; a result that does not satisfy the task type's result schema fails the task with
    /// the reasons instead. Answers the outcome recorded.
    func recordChecked(_ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?) async throws -> TaskOutcome {
        guard case .result(let json) = outcome else {
            try await store.recordOutcome(outcome, forTask: id, by: agentID, at: .now())
            return outcome
        }
        if try await store.recordOutcome(outcome, forTask: id, by: agentID, at: .now(), unlessResultSchema: true) {
            return outcome
        }
        var checked = outcome
        if let task = try await store.task(id: id), let result = try? JSONParser.parse(json),
            let violation = try await resultViolation(type: task.type, version: task.version, result: result)
        {
            checked = .error(violation)
        }
        try await store.recordOutcome(checked, forTask: id, by: agentID, at: .now())
        return checked
    }

    /// Throws a 400 listing every violation when `data` does not satisfy the task type's task schema.
    func validateTaskData(type: String, version: Int64, data: JSONValue?, pathPrefix: String = "/task_data") async throws {
        let found = try await store.taskType(type, version: version)
        let key = TaskTypeKey(type: type, version: version)
        registered.withLock { registered in
            if found == nil {
                registered.remove(key)
            } else {
                if registered.count >= Self.cacheLimit { registered.removeAll() }
                registered.insert(key)
            }
        }
        guard let taskType = found else { return }
        let violations = try schema(taskType.taskSchemaJSON).validate(data ?? [:])
        guard violations.isEmpty else {
            throw APIError(
                .badRequest, "task_data does not match the schema of \(type) version \(version)",
                violations: violations.map { $0.prefixed(pathPrefix) })
        }
    }

    /// Why a result does not satisfy the task type's result schema, or nil when it does (or there is none).
    func resultViolation(type: String, version: Int64, result: JSONValue) async throws -> String? {
        guard let taskType = try await store.taskType(type, version: version), let text = taskType.resultSchemaJSON else { return nil }
        let violations = try schema(text).validate(result)
        guard !violations.isEmpty else { return nil }
        return "result does not match the result schema of \(type) version \(version): "
            + violations.map(\.description).joined(separator: "; ")
    }
}

extension ValidationError {
    /// The same violation with its instance location under `prefix` (`/task_data/url`).
    func prefixed(_ prefix: String) -> ValidationError {
        ValidationError(instanceLocation: prefix + instanceLocation, keywordLocation: keywordLocation, keyword: keyword, message: message)
    }
}
