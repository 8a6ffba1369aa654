import FleetWire
import FleetAgent
import FleetTestSupport
import Foundation
import JSON
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The runner and the uploader as the agent runs them, in a service group, against a fake AFM (the AFM is not what
/// these test): polls ask for the free executors, come back at `return_time`, and a stop lets running tasks finish
/// within the grace period.
@Suite("Task runner")
struct TaskRunnerTests {
    /// Hands out `gate` tasks while it has them, as many as a poll asks for; records each poll's `max_tasks` and when.
    final class FakeAFM: AFMConnection {
        struct Poll {
            let maxTasks: Int
            let at: ContinuousClock.Instant
            let wait: Int?
        }

        let polls = Mutex<[Poll]>([])
        let results = Mutex<[String]>([])
        let available: Mutex<Int>
        let returnAfter: TimeInterval
        /// Holds a poll that asks to wait this long when it has nothing to hand out, and says so, as afm does
        /// (a short hold: the tests count polls).
        let holdsFor: Duration?

        init(tasks: Int, returnAfter: TimeInterval = 1, holdsFor: Duration? = nil) {
            available = Mutex(tasks)
            self.returnAfter = returnAfter
            self.holdsFor = holdsFor
        }

        func poll(_ body: [UInt8], wait: Int?) async throws(AFMClient.Failure) -> AFMClient.PollAnswer {
            let asked = Int((try? JSONParser.parse(body))?["max_tasks"]?.numberValue?.int64Value ?? -1)
            polls.withLock { $0.append(Poll(maxTasks: asked, at: .now, wait: wait)) }
            let handed = available.withLock { available in
                let handed = min(asked, available)
                available -= handed
                return handed
            }
            let tasks = (0..<handed).map { _ in
                PollAnswerBody.AssignedTask(taskID: UUID().uuidString.lowercased(), type: "gate", version: 1, dataJSON: "{}")
            }
            let held = holdsFor != nil && wait != nil && asked > 0
            if held, tasks.isEmpty, let holdsFor { try? await Task.sleep(for: holdsFor) }
            return AFMClient.PollAnswer(tasks: tasks, returnTime: Date().addingTimeInterval(returnAfter), held: held)
        }

        func postResult(_ result: PendingResult) async throws(AFMClient.Failure) {
            results.withLock { $0.append(result.taskID) }
        }
    }

    /// Tasks that run until the test opens the gate; counts those started and those stopped by cancellation.
    final class GateHandler: TaskHandler {
        let type = "gate"
        let version = 1
        let started = Mutex(0)
        let cancelled = Mutex(0)
        private let gate = AsyncStream<Void>.makeStream()

        func open() { gate.continuation.finish() }

        func run(_ data: JSONValue) async throws -> JSONValue {
            started.withLock { $0 += 1 }
            for await _ in gate.stream {}
            if Task.isCancelled {
                cancelled.withLock { $0 += 1 }
                throw CancellationError()
            }
            return ["done": true]
        }
    }

    struct Agent {
        let runner: TaskRunner
        let group: ServiceGroup
        let outbox: ResultOutbox
    }

    static func agent(afm: FakeAFM, handler: GateHandler, executors: Int = 2, grace: Duration = .seconds(10)) throws -> Agent {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
        var settings = AgentSettings(afmURL: "http://127.0.0.1:9", name: "runner-test")
        settings.executors = executors
        settings.defaultWait = .seconds(60)
        settings.gracePeriod = grace
        settings.stateDirectory = state
        let logger = Logger(label: "runner-tests")
        let outbox = try ResultOutbox(stateDirectory: state)
        let periods = GracePeriod(grace)
        let uploader = ResultUploader(outbox: outbox, client: afm, grace: periods, logger: logger)
        let runner = TaskRunner(
            settings: settings, agentID: UUID(), registry: HandlerRegistry([handler]), outbox: outbox,
            held: try HeldTasks(stateDirectory: state), client: afm, uploader: uploader, grace: periods, logger: logger)
        let group = ServiceGroup(services: [uploader, runner], logger: logger)
        return Agent(runner: runner, group: group, outbox: outbox)
    }

    @Test("each poll asks for the free executors; the next comes at return_time; results are delivered")
    func freeExecutors() async throws {
        let afm = FakeAFM(tasks: 3)
        let handler = GateHandler()
        let agent = try Self.agent(afm: afm, handler: handler)
        let running = Task { try await agent.group.run() }
        try await waitUntil { afm.polls.withLock { $0.count } >= 2 }
        // Both executors took a task; the second poll only reports the agent alive.
        #expect(afm.polls.withLock { $0.prefix(2).map(\.maxTasks) } == [2, 0])
        #expect(handler.started.withLock { $0 } == 2)
        handler.open()
        try await waitUntil { afm.results.withLock { $0.count } == 3 }
        let polls = afm.polls.withLock { $0 }
        #expect(polls.contains { $0.maxTasks == 2 && $0.at > polls[1].at })
        // Polls follow the AFM's return time (1 s here), not the 60 s fallback.
        let gap = polls[1].at - polls[0].at
        #expect(gap >= .milliseconds(900) && gap < .seconds(30), "the second poll came after \(gap)")
        await agent.group.triggerGracefulShutdown()
        try await running.value
        #expect(agent.runner.unfinished == 0)
        #expect(try agent.outbox.pending().isEmpty)
    }

    @Test("an AFM that holds polls is asked again at once while an executor is free; with none free, once one is")
    func heldPolls() async throws {
        // The return time is far off: only the held answers bring the next polls this soon.
        let afm = FakeAFM(tasks: 2, returnAfter: 3600, holdsFor: .milliseconds(50))
        let handler = GateHandler()
        let agent = try Self.agent(afm: afm, handler: handler)
        let running = Task { try await agent.group.run() }
        // The first held poll brings a task for each executor; with both busy, the agent waits for one to come free
        // (or the return time), not polling.
        try await waitUntil { handler.started.withLock { $0 } == 2 }
        try await Task.sleep(for: .milliseconds(300))
        let whileBusy = afm.polls.withLock { $0 }
        #expect(whileBusy.count == 1 && whileBusy[0].wait == 30 && whileBusy[0].maxTasks == 2)
        // An executor comes free: the agent polls again without waiting for the hour's return time, and keeps its
        // polls held.
        handler.open()
        try await waitUntil { afm.polls.withLock { $0.count } >= 6 }
        #expect(afm.polls.withLock { $0.allSatisfy { $0.wait == 30 && $0.maxTasks > 0 } })
        await agent.group.triggerGracefulShutdown()
        try await running.value
        #expect(afm.results.withLock { $0.count } == 2)
    }

    @Test("cancelled rather than stopped (another service failed), the runner polls no more and returns", .timeLimit(.minutes(1)))
    func cancelled() async throws {
        let afm = FakeAFM(tasks: 0, returnAfter: 0.05)
        let agent = try Self.agent(afm: afm, handler: GateHandler())
        let running = Task { try await agent.runner.run() }
        try await waitUntil { afm.polls.withLock { $0.count } >= 3 }
        running.cancel()
        _ = try? await running.value
        let atReturn = afm.polls.withLock { $0.count }
        try await Task.sleep(for: .milliseconds(300))
        #expect(afm.polls.withLock { $0.count } == atReturn)
        #expect(atReturn < 100, "the runner went on polling after it was cancelled: \(atReturn) polls")
    }

    @Test("asked to stop, the runner polls no more and a running task finishes and is delivered within the grace period")
    func gracefulStop() async throws {
        let afm = FakeAFM(tasks: 1)
        let handler = GateHandler()
        let agent = try Self.agent(afm: afm, handler: handler)
        let running = Task { try await agent.group.run() }
        try await waitUntil { handler.started.withLock { $0 } == 1 }
        await agent.group.triggerGracefulShutdown()
        let pollsAtStop = afm.polls.withLock { $0.count }
        try await Task.sleep(for: .milliseconds(300))
        handler.open()
        try await running.value
        #expect(afm.polls.withLock { $0.count } == pollsAtStop)
        #expect(afm.results.withLock { $0.count } == 1)
        #expect(agent.runner.unfinished == 0)
        #expect(try agent.outbox.pending().isEmpty)
    }

    @Test("a task still running when the grace period ends is stopped and counted as unfinished")
    func graceEnds() async throws {
        let afm = FakeAFM(tasks: 1)
        let handler = GateHandler()
        let agent = try Self.agent(afm: afm, handler: handler, grace: .seconds(1))
        let running = Task { try await agent.group.run() }
        try await waitUntil { handler.started.withLock { $0 } == 1 }
        await agent.group.triggerGracefulShutdown()
        try await running.value
        #expect(agent.runner.unfinished == 1)
        #expect(handler.cancelled.withLock { $0 } == 1)
        #expect(afm.results.withLock { $0 }.isEmpty)
    }
}
