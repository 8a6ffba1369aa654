import Foundation
import JSON

/// A real `afm-agent` process from the build folder, its output in a log file.
public final class AgentProcess: Sendable {
    public let stateDirectory: URL
    public let logFile: URL
    private let child: ChildProcess

    public static var executable: URL {
        AFMProcess.executable.deletingLastPathComponent().appendingPathComponent("afm-agent")
    }

    /// Starts `afm-agent -u URL --state-dir DIR [arguments]` with exactly `environment` (plus PATH and HOME).
    public init(afm: URL?, stateDirectory: URL, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.stateDirectory = stateDirectory
        logFile = stateDirectory.deletingLastPathComponent().appendingPathComponent("agent-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = (afm.map { ["-u", $0.absoluteString] } ?? []) + ["--state-dir", stateDirectory.path, "-vv"] + arguments
        process.environment = withPathAndHome(environment)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        child = try ChildProcess(starting: process)
    }

    public var isRunning: Bool { child.isRunning }
    public var processIdentifier: Int32 { child.processIdentifier }

    public func signal(_ number: Int32) {
        child.signal(number)
    }

    /// Waits for the process to exit; nil when it is still running after `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        await child.waitForExit(timeout: timeout)
    }

    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// The result files waiting in the outbox.
    public var outbox: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory.appendingPathComponent("outbox").path))?
            .filter { $0.hasSuffix(".json") } ?? []
    }

}

/// Protocol-1 BPMS calls the system tests make.
public enum BPMS {
    /// Creates a task through `POST /task`; answers its id.
    @discardableResult
    public static func createTask(on afm: URL, type: String, version: Int = 1, data: JSONValue, id: UUID = UUID()) async throws -> String {
        let taskID = id.uuidString.lowercased()
        let body: JSONValue = [
            "task_id": .string(taskID), "test_id": .string(UUID().uuidString.lowercased()), "task_type": .string(type),
            "task_version": .number(.integer(Int64(version))), "task_data": data,
        ]
        let (status, answer) = try await HTTP.post(afm.appendingPathComponent("task"), json: JSONWriter.string(from: body))
        guard status == 200 else { throw Failure("POST /task answered \(status): \(String(decoding: answer, as: UTF8.self))") }
        return taskID
    }

    public static func task(on afm: URL, id: String) async throws -> JSONValue {
        let (status, body) = try await HTTP.get(afm.appendingPathComponent("task/\(id)"))
        guard status == 200 else { throw Failure("GET /task/\(id) answered \(status)") }
        return try JSONParser.parse(body)
    }

    /// Waits until every task has completed or failed; answers them by id.
    public static func waitForOutcomes(on afm: URL, ids: [String], timeout: Duration) async throws -> [String: JSONValue] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var finished: [String: JSONValue] = [:]
        while ContinuousClock.now < deadline {
            for id in ids where finished[id] == nil {
                if let task = try? await task(on: afm, id: id), task["task_completed"] != nil || task["task_failed"] != nil {
                    finished[id] = task
                }
            }
            if finished.count == ids.count { return finished }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure("\(ids.count - finished.count) of \(ids.count) tasks did not finish within \(timeout)")
    }
}
