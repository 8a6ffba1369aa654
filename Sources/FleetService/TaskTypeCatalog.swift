import FleetModel
import FleetStore
import JSON
import JSONSchema
import Synchronization

/// The task types' schemas: registering them (only schemas that compile), and checking task data and results
/// against them, compiling each schema once.
///
/// The registry is the truth (several `afm` processes may share it, and a `PUT` must take effect at once); this
/// catalog remembers the registration it last saw of each type, so that a task is checked before it is stored, in
/// one statement, and the store refuses it when that registration is no longer the current one (`TaskQueue`).
public final class TaskTypeCatalog: Sendable {
    let registry: any TaskTypeRegistry
    private let clock: any FleetClock
    private let compiled = Mutex<[String: JSONSchema]>([:])
    /// The registration last seen of each type, or nil when it had none.
    private let seen = Mutex<[TaskTypeKey: TaskTypeRecord?]>([:])
    static let cacheLimit = 256
    /// Formats are asserted, not only annotated: a `"format": "regex"` member holds a valid ECMA-262 expression, so a
    /// check whose expression cannot run is refused when it is created.
    static let schemaOptions = JSONSchema.Options(assertsFormats: true)

    struct TaskTypeKey: Hashable {
        let type: String
        let version: Int64
    }

    public init(registry: any TaskTypeRegistry, clock: any FleetClock) {
        self.registry = registry
        self.clock = clock
    }

    // MARK: Registration

    /// Registers or replaces the schemas of a type; answers the registration and whether it was new. Throws
    /// `InvalidDocument` for a schema that does not compile.
    public func put(type: String, version: Int64, taskSchema: JSONValue, resultSchema: JSONValue?) async throws -> (TaskTypeRecord, created: Bool) {
        for (name, schema) in [("task_schema", taskSchema), ("result_schema", resultSchema)] {
            guard let schema else { continue }
            do {
                _ = try JSONSchema(schema, options: Self.schemaOptions)
            } catch {
                throw InvalidDocument("\(name) is not a valid JSON Schema: \(error)")
            }
        }
        let now = clock.now()
        let existing = try await registry.taskType(type, version: version)
        let record = TaskTypeRecord(
            type: type, version: version, taskSchemaJSON: JSONWriter.string(from: taskSchema),
            resultSchemaJSON: resultSchema.map { JSONWriter.string(from: $0) }, created: existing?.created ?? now, updated: now)
        let created = try await registry.putTaskType(record)
        remember(record, for: TaskTypeKey(type: type, version: version))
        return (record, created)
    }

    public func taskType(_ type: String, version: Int64) async throws -> TaskTypeRecord? {
        try await current(type, version: version)
    }

    public func taskTypes() async throws -> [TaskTypeRecord] { try await registry.taskTypes() }

    /// Answers whether there was one to delete.
    public func delete(_ type: String, version: Int64) async throws -> Bool {
        defer { remember(nil, for: TaskTypeKey(type: type, version: version)) }
        return try await registry.deleteTaskType(type, version: version)
    }

    // MARK: Checks

    /// The registration of a type as last seen here: `.some(nil)` when it had none, nil when never looked up.
    func remembered(_ type: String, version: Int64) -> TaskTypeRecord?? {
        seen.withLock { $0[TaskTypeKey(type: type, version: version)] }
    }

    /// The current registration of a type, read from the registry (and remembered).
    func current(_ type: String, version: Int64) async throws -> TaskTypeRecord? {
        let found = try await registry.taskType(type, version: version)
        remember(found, for: TaskTypeKey(type: type, version: version))
        return found
    }

    /// The violations of `data` (a missing one is `{}`) against the registration's task schema.
    func taskDataViolations(_ data: JSONValue?, against registration: TaskTypeRecord) throws -> [ValidationError] {
        try schema(registration.taskSchemaJSON).validate(data ?? [:])
    }

    /// Why a result does not satisfy the registration's result schema, or nil when it does (or there is none).
    func resultViolation(_ result: JSONValue, against registration: TaskTypeRecord) throws -> String? {
        guard let text = registration.resultSchemaJSON else { return nil }
        let violations = try schema(text).validate(result)
        guard !violations.isEmpty else { return nil }
        return "result does not match the result schema of \(registration.type) version \(registration.version): "
            + violations.map(\.description).joined(separator: "; ")
    }

    /// The compiled schema for `text` (a schema already accepted when it was registered).
    private func schema(_ text: String) throws -> JSONSchema {
        if let cached = compiled.withLock({ $0[text] }) { return cached }
        let schema = try JSONSchema(json: text, options: Self.schemaOptions)
        compiled.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[text] = schema
        }
        return schema
    }

    private func remember(_ registration: TaskTypeRecord?, for key: TaskTypeKey) {
        seen.withLock { seen in
            if seen.count >= Self.cacheLimit, seen[key] == nil { seen.removeAll() }
            seen[key] = .some(registration)
        }
    }
}
