import FleetChecks
import Logging
import ServiceLifecycle

/// Registers the built-in checks' schemas with the AFM once it answers, so that it refuses a bad check when the
/// check is created instead of handing it to an agent. Retries while the AFM cannot be reached; gives up with one
/// line when it refuses (an AFM without the v2 API, such as the original, or one that takes task types only with a
/// BPMS token): the agent then still checks task data itself before running it.
public struct CheckTypeRegistration: Service {
    let client: AFMClient
    let logger: Logger
    static let longestRetry = Duration.seconds(30)

    public init(client: AFMClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func run() async throws {
        var retry = Duration.seconds(1)
        var pending = CheckSchemas.all
        registering: while let check = pending.first, !Task.isShuttingDownGracefully {
            do {
                try await client.putTaskType(check.type, version: check.version, taskSchema: check.task, resultSchema: check.result)
                pending.removeFirst()
            } catch .refused(let status, let message) {
                logger.warning(
                    "the AFM did not take the schemas of the built-in checks (HTTP \(status): \(message)); it will not refuse bad check data when tasks are created")
                break registering
            } catch {
                logger.info("cannot register the built-in checks' schemas yet, retrying in \(retry): \(error)")
                let pause = retry
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                retry = min(retry * 2, Self.longestRetry)
            }
        }
        if pending.isEmpty { logger.info("registered the built-in checks with the AFM: \(CheckSchemas.all.map { "\($0.type)@\($0.version)" }.joined(separator: ", "))") }
        // A service of the agent's group ends with the group: one that ended alone would stop the agent.
        try? await gracefulShutdown()
    }
}
