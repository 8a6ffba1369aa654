import FleetModel
import FleetStore
import JSONSchema
import Synchronization

/// Validates task data and results against the schemas registered for their task type, compiling each schema once.
///
/// Schemas are read from the store on every use (several `afm` processes may share it, and a `PUT` must take effect
/// at once); the compiled form is cached by the schema's text.
final class TaskTypeSchemas: Sendable {
    let store: any TaskStore
    private let compiled = Mutex<[String: JSONSchema]>([:])
    static let cacheLimit = 256

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

    /// Throws a 400 listing every violation when `data` does not satisfy the task type's task schema.
    func validateTaskData(type: String, version: Int64, data: JSONValue?, pathPrefix: String = "/task_data") async throws {
        guard let taskType = try await store.taskType(type, version: version) else { return }
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
