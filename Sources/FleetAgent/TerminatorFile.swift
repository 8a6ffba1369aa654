import Foundation
import Logging
import ServiceLifecycle

/// The operator's other way to stop the agent, as the original's: `true` written into `terminator.txt` in the
/// working directory. Read every two seconds (a file has no event to wait on that works on every file system);
/// the service ends when it reads `true`, which stops the agent, or when the agent stops.
public struct TerminatorFile: Service {
    let path: String
    let interval: Duration
    let logger: Logger

    public init(path: String = "terminator.txt", interval: Duration = .seconds(2), logger: Logger) {
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == "true"
            {
                logger.notice("\(path) says true: stopping")
                return
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
