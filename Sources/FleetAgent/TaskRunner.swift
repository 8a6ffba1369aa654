import FleetWire
import Foundation
import JSON
import Logging
import ServiceLifecycle
import Synchronization

/// The agent's task-runner role: poll the AFM for as many tasks as there are free executors, run them with the
/// registered handlers, keep each outcome in the outbox and hand it to the uploader; come back at the
/// `return_time` the AFM gives. Asked to stop, it polls no more and gives running tasks the grace period.
public final class TaskRunner: Service {
    /// Why the runner ended by itself: the AFM turned this agent away.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The AFM refused a poll with a 4xx: this agent does not speak its protocol.
        case protocolRefused(String)
        /// The AFM wants an agent token (401), or another one (403): a configuration error.
        case notAuthorized(String)

        public var description: String {
            switch self {
            case .protocolRefused(let reason), .notAuthorized(let reason): reason
            }
        }
    }

    let settings: AgentSettings
    let registry: HandlerRegistry
    let outbox: ResultOutbox
    let held: HeldTasks
    let client: any AFMConnection
    let uploader: ResultUploader
    let grace: GracePeriod
    let poll: PollIdentity
    let logger: Logger
    private let unfinishedCount = Mutex(0)

    /// Tasks stopped unfinished when the grace period ended.
    public var unfinished: Int { unfinishedCount.withLock { $0 } }

    public init(
        settings: AgentSettings, agentID: UUID, registry: HandlerRegistry, outbox: ResultOutbox, held: HeldTasks,
        client: any AFMConnection, uploader: ResultUploader, grace: GracePeriod, logger: Logger
    ) {
        self.settings = settings
        self.registry = registry
        self.outbox = outbox
        self.held = held
        self.client = client
        self.uploader = uploader
        self.grace = grace
        self.poll = PollIdentity(agentID: agentID, agentName: settings.name, capabilities: registry.capabilities, location: settings.location)
        self.logger = logger
    }

    public func run() async throws {
        // Tasks an earlier run held when it was killed cannot be finished: they are reported as failed.
        do {
            let reported = try held.reportLeftTasks(into: outbox)
            if !reported.isEmpty {
                logger.warning("reporting \(reported.count) task(s) an earlier run left unfinished as failed: \(reported.joined(separator: ", "))")
                await uploader.outboxChanged()
            }
        } catch {
            logger.error("cannot read the tasks an earlier run held: \(error)")
        }
        let busy = BusyExecutors()
        try await withThrowingDiscardingTaskGroup { group in
            // Cancelled (another service failed) as well as stopped: every wait below returns at once then, so the
            // loop must not go round again.
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = settings.executors - busy.count
                var wait = settings.defaultWait
                var untilExecutorFree = false
                // Held only while there is room for a task: an AFM holds no poll that can take nothing.
                let holdFor = free > 0 ? settings.pollWait : nil
                // A stop request interrupts a poll that waits on an unreachable AFM, or is held by it.
                guard let polled = await unlessStopping({ [client, poll] in
                    await Self.poll(client, body: poll.body(maxTasks: max(0, free)), wait: holdFor)
                }) else { break }
                switch polled {
                case .success(let answer):
                    do {
                        try held.hold(taskIDs: answer.tasks.map(\.taskID))
                    } catch {
                        logger.error("cannot note the tasks received as held: \(error); a crash now would leave them claimed")
                    }
                    for task in answer.tasks {
                        busy.add(1)
                        group.addTask {
                            await self.execute(task)
                            busy.add(-1)
                        }
                    }
                    if !answer.tasks.isEmpty { logger.info("received \(answer.tasks.count) task(s)") }
                    wait = Self.delay(until: answer.returnTime, fallback: settings.defaultWait)
                    if answer.held {
                        // The AFM holds polls: ask again at once, or as soon as an executor is free, but no later
                        // than the return time, so that a long task does not make the agent look lost.
                        if busy.count < settings.executors { wait = .zero } else { untilExecutorFree = true }
                    }
                case .failure(.refused(let status, let message)) where status == 401 || status == 403:
                    throw Refusal.notAuthorized(
                        settings.token == nil
                            ? "the AFM at \(settings.afmURL) requires an agent token (HTTP \(status)); set AFM_AGENT_TOKEN"
                            : "the AFM at \(settings.afmURL) does not accept the token in AFM_AGENT_TOKEN (HTTP \(status): \(message))")
                case .failure(.refused(let status, let message)):
                    let reason = "the AFM refused the poll with HTTP \(status): \(message); this agent does not speak its protocol"
                    logger.error("\(reason)")
                    throw Refusal.protocolRefused(reason)
                case .failure(let error):
                    wait = Self.jittered(settings.defaultWait)
                    logger.warning("poll failed, trying again in \(wait): \(error)")
                }
                let pause = wait
                if pause == .zero { continue }
                let executors = settings.executors
                let forExecutor = untilExecutorFree
                _ = await unlessStopping {
                    if forExecutor {
                        await busy.fewer(than: executors, within: pause)
                    } else {
                        try? await Task.sleep(for: pause)
                    }
                }
            }

            // Stopping: no more polls; running tasks get the grace period to finish.
            let deadline = grace.deadline()
            logger.notice("stopping: \(busy.count) task(s) running, grace period \(settings.gracePeriod)")
            let finished = await withTaskGroup(of: Bool.self) { race in
                race.addTask { await busy.idle(); return true }
                race.addTask { try? await Task.sleep(until: deadline); return false }
                let first = await race.next()!
                race.cancelAll()
                return first
            }
            if !finished {
                unfinishedCount.withLock { $0 = busy.count }
                group.cancelAll()
            }
        }
    }

    private static func poll(_ client: any AFMConnection, body: [UInt8], wait: Int?) async -> Result<AFMClient.PollAnswer, AFMClient.Failure> {
        do throws(AFMClient.Failure) {
            return .success(try await client.poll(body, wait: wait))
        } catch {
            return .failure(error)
        }
    }

    /// The operation's answer, or nil when the agent is asked to stop first (the operation is then cancelled).
    private func unlessStopping<Value: Sendable>(_ operation: @escaping @Sendable () async -> Value) async -> Value? {
        if Task.isShuttingDownGracefully { return nil }
        let value = try? await cancelWhenGracefulShutdown { await operation() }
        return Task.isShuttingDownGracefully ? nil : value
    }

    private func execute(_ task: PollAnswerBody.AssignedTask) async {
        let outcome: PendingResult
        if let handler = registry.handler(type: task.type, version: Int(clamping: task.version)) {
            logger.debug("running task \(task.taskID) (\(task.type) v\(task.version))")
            do {
                // Written by the wire from a parsed value: it parses.
                let result = try await handler.run(try JSONParser.parse(task.dataJSON))
                outcome = .result(taskID: task.taskID, data: result)
            } catch is CancellationError {
                // The grace period ended: no outcome; the AFM still has the task as claimed.
                logger.warning("task \(task.taskID) was stopped unfinished at shutdown")
                return
            } catch {
                if Task.isCancelled {
                    logger.warning("task \(task.taskID) was stopped unfinished at shutdown")
                    return
                }
                logger.info("task \(task.taskID) failed: \(error)")
                outcome = .error(taskID: task.taskID, message: "\(error)")
            }
        } else {
            outcome = .error(taskID: task.taskID, message: "this agent has no handler for task type \(task.type) version \(task.version)")
        }
        do {
            try outbox.store(outcome)
        } catch {
            // Without the outbox the result can only be sent directly, once.
            logger.error("cannot write the result of task \(task.taskID) to the outbox: \(error); sending it directly")
            try? await client.postResult(outcome)
            try? held.release(taskID: task.taskID)
            return
        }
        // The outcome is in the outbox: from now on the outbox answers for it.
        try? held.release(taskID: task.taskID)
        await uploader.submit(outcome)
    }

    /// Until `returnTime`, at least 1 s and at most an hour; the fallback when the AFM gave none.
    static func delay(until returnTime: Date?, fallback: Duration) -> Duration {
        guard let returnTime else { return fallback }
        let seconds = min(max(returnTime.timeIntervalSinceNow, 1), 3600)
        return .milliseconds(Int64(seconds * 1000))
    }

    /// ±20 %, so that agents that lost the AFM together do not all come back at the same instant.
    static func jittered(_ duration: Duration) -> Duration {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return .milliseconds(Int64(milliseconds * Double.random(in: 0.8...1.2)))
    }
}
