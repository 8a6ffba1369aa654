import Foundation
import Logging
import Synchronization

/// The agent's task-runner role: poll the AFM for as many tasks as there are free executors, run them with the
/// registered handlers, keep each outcome in the outbox and let the uploader deliver it; come back at the
/// `return_time` the AFM gives.
public struct TaskRunner: Sendable {
    public enum Ending: Sendable, Equatable {
        /// Stopped on request; every task finished and every result was delivered.
        case stopped
        /// Stopped on request, but tasks were still running or results still undelivered when the grace period
        /// ended (the results stay in the outbox for the next start).
        case stoppedWithWorkLeft
        /// The AFM refused a poll with a 4xx: this agent does not speak its protocol.
        case refusedByAFM(String)
        /// The AFM wants an agent token (401), or another one (403): a configuration error.
        case notAuthorized(String)
    }

    let settings: AgentSettings
    let registry: HandlerRegistry
    let outbox: ResultOutbox
    let held: HeldTasks
    let client: any AFMConnection
    let poll: PollRequest
    let logger: Logger

    public init(
        settings: AgentSettings, agentID: UUID, registry: HandlerRegistry, outbox: ResultOutbox, held: HeldTasks, client: any AFMConnection,
        logger: Logger
    ) {
        self.settings = settings
        self.registry = registry
        self.outbox = outbox
        self.held = held
        self.client = client
        self.poll = PollRequest(agentID: agentID, agentName: settings.name, capabilities: registry.capabilities, location: settings.location)
        self.logger = logger
    }

    public func run(until shutdown: ShutdownSignal) async -> Ending {
        let uploader = ResultUploader(outbox: outbox, client: client, logger: logger)
        // Tasks an earlier run held when it was killed cannot be finished: they are reported as failed.
        do {
            let reported = try held.reportLeftTasks(into: outbox)
            if !reported.isEmpty { logger.warning("reporting \(reported.count) task(s) an earlier run left unfinished as failed: \(reported.joined(separator: ", "))") }
        } catch {
            logger.error("cannot read the tasks an earlier run held: \(error)")
        }
        // Results left by an earlier run go first.
        if case .blocked(let failure) = await uploader.uploadPending() {
            logger.warning("results from an earlier run wait in the outbox: \(failure)")
        }
        let busy = BusyExecutors()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await uploader.run() }
            var ending = Ending.stopped
            while !shutdown.isRequested {
                let free = settings.executors - busy.count
                var wait = settings.defaultWait
                do throws(AFMClient.Failure) {
                    // A stop request interrupts a poll that waits on an unreachable AFM.
                    guard let answer = try await pollUnlessStopped(maxTasks: max(0, free), shutdown: shutdown) else { break }
                    for task in answer.tasks {
                        do {
                            try held.hold(taskID: task.id)
                        } catch {
                            logger.error("cannot note task \(task.id) as held: \(error); a crash now would leave it claimed")
                        }
                        busy.add(1)
                        group.addTask {
                            await execute(task, uploader: uploader)
                            busy.add(-1)
                        }
                    }
                    if !answer.tasks.isEmpty { logger.info("received \(answer.tasks.count) task(s)") }
                    wait = Self.delay(until: answer.returnTime, fallback: settings.defaultWait)
                } catch .refused(let status, let message) where status == 401 || status == 403 {
                    let reason = settings.token == nil
                        ? "the AFM at \(settings.afmURL) requires an agent token (HTTP \(status)); set AFM_AGENT_TOKEN"
                        : "the AFM at \(settings.afmURL) does not accept the token in AFM_AGENT_TOKEN (HTTP \(status): \(message))"
                    ending = .notAuthorized(reason)
                    shutdown.request()
                    break
                } catch .refused(let status, let message) {
                    let reason = "the AFM refused the poll with HTTP \(status): \(message); this agent does not speak its protocol"
                    logger.error("\(reason)")
                    ending = .refusedByAFM(reason)
                    shutdown.request()
                    break
                } catch {
                    wait = Self.jittered(settings.defaultWait)
                    logger.warning("poll failed, trying again in \(wait): \(error)")
                }
                await shutdown.sleep(for: wait)
            }

            // Stopping: no more polls; running tasks get the grace period to finish and deliver.
            let deadline = ContinuousClock.now.advanced(by: settings.gracePeriod)
            logger.notice("stopping: \(busy.count) task(s) running, grace period \(settings.gracePeriod)")
            while busy.count > 0 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
            let tasksFinished = busy.count == 0
            let delivered = await uploader.waitUntilDelivered(before: deadline)
            uploader.finish()
            group.cancelAll()
            switch ending {
            case .refusedByAFM, .notAuthorized: return ending
            case .stopped, .stoppedWithWorkLeft: break
            }
            return tasksFinished && delivered ? .stopped : .stoppedWithWorkLeft
        }
    }

    /// The poll's answer, or nil when a stop was requested first (the poll is then cancelled).
    private func pollUnlessStopped(maxTasks: Int, shutdown: ShutdownSignal) async throws(AFMClient.Failure) -> AFMClient.PollAnswer? {
        let body = poll.body(maxTasks: maxTasks)
        let outcome = await shutdown.unlessRequested { [client] () async -> Result<AFMClient.PollAnswer, AFMClient.Failure> in
            do throws(AFMClient.Failure) {
                return .success(try await client.poll(body))
            } catch {
                return .failure(error)
            }
        }
        return try outcome?.get()
    }

    private func execute(_ task: AFMClient.ReceivedTask, uploader: ResultUploader) async {
        let outcome: PendingResult
        if let handler = registry.handler(type: task.type, version: task.version) {
            logger.debug("running task \(task.id) (\(task.type) v\(task.version))")
            do {
                let result = try await handler.run(task.data)
                outcome = .result(taskID: task.id, data: result)
            } catch is CancellationError {
                // The grace period ended: no outcome; the AFM still has the task as claimed.
                logger.warning("task \(task.id) was stopped unfinished at shutdown")
                return
            } catch {
                if Task.isCancelled {
                    logger.warning("task \(task.id) was stopped unfinished at shutdown")
                    return
                }
                logger.info("task \(task.id) failed: \(error)")
                outcome = .error(taskID: task.id, message: "\(error)")
            }
        } else {
            outcome = .error(taskID: task.id, message: "this agent has no handler for task type \(task.type) version \(task.version)")
        }
        do {
            try outbox.store(outcome)
        } catch {
            // Without the outbox the result can only be sent directly, once.
            logger.error("cannot write the result of task \(task.id) to the outbox: \(error); sending it directly")
            try? await client.postResult(outcome)
            try? held.release(taskID: task.id)
            return
        }
        // The outcome is in the outbox: from now on the outbox answers for it.
        try? held.release(taskID: task.id)
        uploader.notify()
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

/// How many executors are running a task, shared by the poll loop and the task executions.
final class BusyExecutors: Sendable {
    private let value = Mutex(0)

    var count: Int { value.withLock { $0 } }

    func add(_ delta: Int) {
        value.withLock { $0 += delta }
    }
}
