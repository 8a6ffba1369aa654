import ChildProcesses
import Foundation
import Logging

/// Runs the operator's extension scripts: `<directory>/<EVENT>.sh` when it exists, with every setting as
/// `STRATOS_<KEY>` in its environment (over the agent's own), a timeout, and its output in the log. A missing or
/// failing script is logged and never stops the agent.
public struct ExtensionRunner: Sendable {
    let directory: String
    let timeout: Duration
    let logger: Logger

    public init(directory: String, timeout: Duration, logger: Logger) {
        self.directory = directory
        self.timeout = timeout
        self.logger = logger
    }

    /// Runs the extension for `event`; answers whether it ran and succeeded.
    @discardableResult
    public func run(_ event: String, values: [String: String]) async -> Bool {
        let path = directory + "/" + event + ".sh"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            logger.debug("no extension for \(event) (\(path))")
            return false
        }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in values { environment["STRATOS_" + key] = value }
        environment["STRATOS_EVENT"] = event
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("extension-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.environment = environment
        do {
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            let status = try await TimedProcess.run(process, timeout: timeout)
            let text = (try? String(contentsOf: output, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !text.isEmpty { logger.info("extension \(event): \(text)") }
            switch status {
            case .exited(0):
                return true
            case .exited(let code):
                logger.error("extension \(event) exited with status \(code)")
            case .signalled(let signal):
                logger.error("extension \(event) was killed by signal \(signal)")
            case .timedOut:
                logger.error("extension \(event) did not finish within \(timeout) and was stopped")
            case .cancelled:
                logger.notice("extension \(event) was stopped: the agent is stopping")
            }
            return false
        } catch {
            logger.error("cannot run extension \(path): \(error.localizedDescription)")
            return false
        }
    }
}
