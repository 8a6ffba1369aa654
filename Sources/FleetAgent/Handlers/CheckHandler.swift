import FleetChecks
import JSON
import JSONSchema

/// A built-in monitoring check as a task handler: the task data is checked against the check's schema (as the AFM
/// checks it at creation when the agent registered it), then the check runs and its outcome is the result. A check
/// that cannot reach its target still completes, with `success: false`; only data it cannot run with fails the task.
public struct CheckHandler: TaskHandler {
    public let type: String
    public let version: Int
    let taskSchema: JSONSchema
    let run: @Sendable (JSONValue) async throws(CheckDataError) -> CheckOutcome

    init(type: String, version: Int, taskSchema: JSONValue, run: @escaping @Sendable (JSONValue) async throws(CheckDataError) -> CheckOutcome) {
        self.type = type
        self.version = version
        // A constant of FleetChecks, compiled by a test.
        self.taskSchema = try! JSONSchema(taskSchema, options: .init(assertsFormats: true))
        self.run = run
    }

    public func run(_ data: JSONValue) async throws -> JSONValue {
        let violations = taskSchema.validate(data)
        guard violations.isEmpty else {
            throw HandlerFailure("task_data is not a \(type)@\(version) check: " + violations.prefix(5).map(\.description).joined(separator: "; "))
        }
        do {
            return try await run(data).json
        } catch {
            throw HandlerFailure("task_data is not a \(type)@\(version) check: \(error)")
        }
    }

    /// `http@1`, `tcp@1`, `tls@1`, `dns@1` and `icmp@1`.
    public static var builtIn: [CheckHandler] {
        CheckSchemas.all.compactMap { check -> CheckHandler? in
            let run: @Sendable (JSONValue) async throws(CheckDataError) -> CheckOutcome
            switch check.type {
            case "http": run = { data throws(CheckDataError) in await (try HTTPCheck(data)).run() }
            case "tcp": run = { data throws(CheckDataError) in await (try TCPCheck(data)).run() }
            case "tls": run = { data throws(CheckDataError) in await (try TLSCheck(data)).run() }
            case "dns": run = { data throws(CheckDataError) in await (try DNSCheck(data)).run() }
            case "icmp": run = { data throws(CheckDataError) in await (try ICMPCheck(data)).run() }
            default: return nil
            }
            return CheckHandler(type: check.type, version: check.version, taskSchema: check.task, run: run)
        }
    }
}
