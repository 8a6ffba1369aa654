import FleetWire
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Synchronization

/// One benchmark run: the shared bookkeeping of creators, agents and readers.
final class BenchRun: Sendable {
    /// The AFM processes under test (several share one database); clients are spread over them round-robin.
    let targets: [BenchTarget]
    let bpmsToken: String?
    let agentToken: String?
    /// Agents open a new connection for every request instead of keeping theirs.
    let agentsReconnect: Bool
    /// Seconds agents ask the AFM to hold an empty poll (`Prefer: wait`); nil: they poll every idle wait.
    let hold: Int?
    /// Each BPMS client pauses this long after each create: tasks arrive one at a time, as a latency run needs.
    let createInterval: Duration?
    /// BPMS clients use the first target only, agents the others: tasks are created through one process and
    /// claimed through another.
    let splitRoles: Bool

    let create = LatencyRecorder()
    let poll = LatencyRecorder()
    let result = LatencyRecorder()
    let read = LatencyRecorder()
    let postToClaim = LatencyRecorder()
    let errors = Tally()

    private struct Book {
        var createdAt: [String: ContinuousClock.Instant] = [:]
        var claimed: Set<String> = []
        var doubleClaims = 0
        var completed = 0
        var nextToCreate = 0
    }
    private let book = Mutex(Book())
    private let finished = Mutex(false)
    /// When the last task completed, or the cap was reached: polls still held after it do not count.
    private let endedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let readQueue = AsyncStream<String>.makeStream()

    init(
        targets: [BenchTarget], bpmsToken: String?, agentToken: String?, agentsReconnect: Bool, hold: Int? = nil,
        createInterval: Duration? = nil, splitRoles: Bool = false
    ) {
        self.splitRoles = splitRoles && targets.count > 1
        self.targets = targets
        self.bpmsToken = bpmsToken
        self.agentToken = agentToken
        self.agentsReconnect = agentsReconnect
        self.hold = hold
        self.createInterval = createInterval
    }

    struct Outcome {
        let table: String
        let serverView: String
        let json: JSONValue
    }

    func execute(tasks: Int, agents: Int, bpms: Int, maxTasks: Int, idleWait: Duration, cap: Duration) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: cap)
        var agentConnections: [BenchConnection] = []
        let bpmsTargets = splitRoles ? [targets[0]] : targets
        let agentTargets = splitRoles ? Array(targets.dropFirst()) : targets
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<bpms {
                let target = bpmsTargets[index % bpmsTargets.count]
                let creator = target.connect(), reader = target.connect()
                group.addTask(executorPreference: creator.executor) { await self.createLoop(through: creator, total: tasks, deadline: deadline) }
                group.addTask(executorPreference: reader.executor) { await self.readLoop(through: reader, total: tasks, deadline: deadline) }
            }
            for index in 0..<agents {
                // Each agent its own connection, kept open across idle waits, as each agent of a fleet is its own
                // process.
                let connection = agentTargets[index % agentTargets.count].connect(timeout: .seconds(60 + Int64(hold ?? 0)))
                agentConnections.append(connection)
                group.addTask(executorPreference: connection.executor) {
                    await self.agentLoop(through: connection, agent: UUID(), name: "bench-\(index)", maxTasks: maxTasks, idleWait: idleWait, deadline: deadline)
                }
            }
            let held = agentConnections
            group.addTask {
                // With no tasks, the idle fleet polls until the cap.
                while clock.now < deadline && (tasks == 0 || self.book.withLock({ $0.completed }) < tasks) {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                self.endedAt.withLock { $0 = clock.now }
                self.finished.withLock { $0 = true }
                self.readQueue.continuation.finish()
                // Polls held by the AFM would keep their agents until their wait is over.
                if self.hold != nil { for connection in held { await connection.close() } }
            }
        }
        let elapsed = start.duration(to: endedAt.withLock { $0 } ?? clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let (created, completed, doubleClaims) = book.withLock { ($0.createdAt.count, $0.completed, $0.doubleClaims) }
        let lost = created - completed
        let rate = Double(completed) / seconds
        var rows = ["task lifecycles: \(completed) of \(tasks) in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", rate))/s; double claims \(doubleClaims), lost \(lost)"]
        rows.append("polls: \(poll.summary().count) in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", Double(poll.summary().count) / seconds))/s from \(agents) agents")
        rows.append("request            count      p50 ms     p99 ms     max ms")
        var latencies: [String: JSONValue] = [:]
        for (name, recorder) in [("create", create), ("poll", poll), ("result", result), ("read", read), ("post-to-claim", postToClaim)] {
            let summary = recorder.summary()
            rows.append(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                + String(format: "%8d %10.2f %10.2f %10.2f", summary.count, summary.p50, summary.p99, summary.max))
            latencies[name] = ["count": .number(.integer(Int64(summary.count))), "p50_ms": .number(.double(summary.p50)),
                               "p99_ms": .number(.double(summary.p99)), "max_ms": .number(.double(summary.max))]
        }
        let errorCounts = errors.all
        rows.append("errors: " + (errorCounts.isEmpty ? "none" : errorCounts.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")))
        let json: JSONValue = [
            "tasks": .number(.integer(Int64(tasks))), "completed": .number(.integer(Int64(completed))),
            "seconds": .number(.double(seconds)), "lifecycles_per_second": .number(.double(rate)),
            "double_claims": .number(.integer(Int64(doubleClaims))), "lost": .number(.integer(Int64(lost))),
            "agents": .number(.integer(Int64(agents))), "bpms_clients": .number(.integer(Int64(bpms))), "afm_processes": .number(.integer(Int64(targets.count))), "split_roles": .bool(splitRoles),
            "agents_reconnect": .bool(agentsReconnect), "hold_seconds": hold.map { .number(.integer(Int64($0))) } ?? .null,
            "max_tasks": .number(.integer(Int64(maxTasks))), "latency": .object(latencies),
            "errors": .object(errorCounts.mapValues { .number(.integer(Int64($0))) }),
        ]
        return Outcome(table: rows.joined(separator: "\n"), serverView: await serverView(), json: json)
    }

    // MARK: Roles

    private func createLoop(through connection: BenchConnection, total: Int, deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline {
            let index: Int? = book.withLock { book in
                guard book.nextToCreate < total else { return nil }
                defer { book.nextToCreate += 1 }
                return book.nextToCreate
            }
            guard let index else { return }
            let id = UUID().uuidString.lowercased()
            let body = TaskBody(taskID: UUID(uuidString: id), type: "bench", version: 1, data: ["n": .number(.integer(Int64(index)))]).encoded()
            book.withLock { $0.createdAt[id] = ContinuousClock.now }
            if await send(through: connection, .POST, "/v2/tasks", body, token: bpmsToken, recorder: create, expecting: 201) == nil {
                book.withLock { _ = $0.createdAt.removeValue(forKey: id) }
            }
            if let createInterval { await pause(createInterval, deadline: deadline) }
        }
        await connection.close()
    }

    private func agentLoop(through connection: BenchConnection, agent: UUID, name: String, maxTasks: Int, idleWait: Duration, deadline: ContinuousClock.Instant) async {
        let pollBody = PollBody(
            agentID: agent, agentName: name, agentTime: "2026-11-23T00:00:00+00:00", capabilities: [.init(type: "bench", version: 1)],
            maxTasks: Int64(maxTasks), location: nil
        ).encoded()
        // Agents start spread over one idle wait, as a real fleet's polls are spread over its return time.
        await pause(idleWait * Double.random(in: 0..<1), deadline: deadline)
        let prefer = hold.map { [("Prefer", "wait=\($0)")] } ?? []
        while ContinuousClock.now < deadline && !finished.withLock({ $0 }) {
            guard let answer = await send(
                    through: connection, .POST, "/tasks", pollBody, headers: prefer, token: agentToken, recorder: poll, expecting: 200,
                    closing: agentsReconnect),
                case .array(let tasks)? = answer.json["tasks"]
            else {
                await pause(idleWait, deadline: deadline)
                continue
            }
            if tasks.isEmpty {
                // A held poll ended empty at its deadline: hold the next at once.
                if !answer.held { await pause(idleWait, deadline: deadline) }
                continue
            }
            for task in tasks {
                guard case .string(let id)? = task["task_id"] else { continue }
                let now = ContinuousClock.now
                let created: ContinuousClock.Instant? = book.withLock { book in
                    if !book.claimed.insert(id).inserted { book.doubleClaims += 1 }
                    return book.createdAt[id]
                }
                if let created { postToClaim.record(created.duration(to: now)) }
                let outcome = TaskResponseBody(taskID: id, outcome: .result(json: #"{"ok":true}"#)).encoded()
                if await send(through: connection, .POST, "/tasks/response", outcome, token: agentToken, recorder: result, expecting: 200, closing: agentsReconnect) != nil {
                    readQueue.continuation.yield(id)
                }
            }
        }
        await connection.close()
    }

    /// Sleeps for `duration`, but not past the deadline: an idle agent's wait would otherwise carry the run past
    /// the duration cap by up to one idle wait.
    private func pause(_ duration: Duration, deadline: ContinuousClock.Instant) async {
        try? await Task.sleep(until: min(ContinuousClock.now.advanced(by: duration), deadline), clock: .continuous)
    }

    private func readLoop(through connection: BenchConnection, total: Int, deadline: ContinuousClock.Instant) async {
        for await id in readQueue.stream {
            if ContinuousClock.now >= deadline { break }
            if let task = await send(through: connection, .GET, "/v2/tasks/\(id)", nil, token: bpmsToken, recorder: read, expecting: 200), (try? TaskAnswer(json: task.json))?.state == "completed" {
                book.withLock { $0.completed += 1 }
            }
        }
        await connection.close()
    }

    // MARK: HTTP

    /// An answer as expected: its JSON, and whether the AFM held the request as asked.
    private struct Answer {
        let json: JSONValue
        let held: Bool
    }

    /// The parsed JSON answer, or nil (counted as an error) when the status is not `expecting`.
    private func send(
        through connection: BenchConnection, _ method: HTTPMethod, _ path: String, _ body: [UInt8]?, headers extra: [(String, String)] = [],
        token: String?, recorder: LatencyRecorder, expecting: Int, closing: Bool = false
    ) async -> Answer? {
        var headers = [("Content-Type", "application/json")] + extra
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let bytes = body.map { ByteBuffer(bytes: $0) }
        // Errors are counted by request kind: the route without ids, and the status or the kind of failure.
        func kind() -> String { "\(method.rawValue) /\(path.split(separator: "/").prefix(2).joined(separator: "/"))" }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await connection.send(method, path, headers: headers, body: bytes, closing: closing)
            recorder.record(start.duration(to: clock.now))
            guard response.status == expecting else {
                errors.add("\(kind()) \(response.status)")
                return nil
            }
            let json: JSONValue = response.body.readableBytes == 0 ? [:] : ((try? JSONParser.parse(response.body.readableBytesView)) ?? [:])
            return Answer(json: json, held: response.preferenceApplied)
        } catch {
            // A held poll cut by the end of the run is not an error.
            if !finished.withLock({ $0 }) { errors.add("\(kind()) \(FailureCause.text(of: error))") }
            return nil
        }
    }

    /// Each AFM's own counters from /metrics, when it serves them.
    private func serverView() async -> String {
        var views: [String] = []
        for target in targets {
            let connection = target.connect(timeout: .seconds(10))
            let response = try? await connection.send(.GET, "/metrics")
            await connection.close()
            guard let response, response.status == 200 else {
                views.append("server view of \(target.url): /metrics not available")
                continue
            }
            let lines = String(buffer: response.body).split(separator: "\n").filter {
                $0.hasPrefix("afm_tasks_total") || $0.hasPrefix("afm_agents_active") || $0.hasPrefix("afm_polls_held")
                    || $0.hasPrefix("afm_task_post_to_claim_seconds_count") || $0.hasPrefix("afm_task_post_to_claim_seconds_sum")
            }
            views.append("server view of \(target.url) (/metrics):\n" + lines.map { "  " + $0 }.joined(separator: "\n"))
        }
        return views.joined(separator: "\n")
    }
}
