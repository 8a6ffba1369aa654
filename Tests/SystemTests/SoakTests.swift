import FleetTestSupport
import Foundation
import JSON
import Synchronization
import Testing

/// Soak and chaos: real `afm` and `afm-agent` processes on a PostgreSQL server of the test's own, under a steady
/// stream of tasks, while the test keeps breaking things: `kill -9` of `afm` and of agents (restarted at once),
/// a PostgreSQL restart, clients that trickle their request, disconnect mid-body or pipeline without reading.
/// Afterwards every task the BPMS was told was created has exactly one outcome: completed (the `wait` handler never
/// fails), or failed by the restarted agent when it was killed with the task in hand; and `afm`'s descriptors and
/// memory are back near where they were before the traffic.
///
/// `AFM_SOAK_SECONDS` sets the chaos phase (default 45, what CI runs); the README gives a long run.
@Suite("soak and chaos", .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
struct SoakTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["AFM_SOAK_SECONDS"] ?? "") ?? 45
    /// Sixteen executors, so that two agents polling once a second (32 tasks/s) keep up with the BPMS (at most 20
    /// tasks/s); after a failed poll (afm or the database away) the next one a second later.
    static let agentArguments = ["-x", "16", "-w", "1"]
    static let createsAtOnce = 6

    @Test("under kills, a database restart and hostile clients, every created task ends once and resources return")
    func soak() async throws {
        let postgres = try await PrivatePostgres()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("afm-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let port = try freeLoopbackPort()
        let environment = [
            "AFM_DB_URI": postgres.uri, "AGENT_RETURN_TIME": "1", "AGENT_ACTIVE_THRESHOLD": "5", "TASK_MAX_ATTEMPTS": "1000",
            // An agent killed after the AFM's claim and before it noted the tasks (a few milliseconds; more on a busy
            // disk) cannot report them: the run-time bound hands them back, within the wait below.
            "TASK_RUN_TIMEOUT": "20", "LOG_LEVEL": "WARNING",
        ]
        var afm = try AFMProcess(environment: environment, port: port)
        try await afm.waitUntilServing()
        let base = afm.baseURL
        var agents = try (0..<2).map { index in
            try AgentProcess(afm: base, stateDirectory: root.appendingPathComponent("agent-\(index)"), arguments: Self.agentArguments)
        }
        let created = CreatedTasks()
        let begun = Date()
        let deadline = begun.addingTimeInterval(Self.seconds)

        // The BPMS: a task every 50 ms, up to six at once, so that the stream's rate does not hang on one request's
        // time on a busy machine; a create that failed (afm or the database down) is not counted.
        let bpms = Task {
            await withTaskGroup(of: Void.self) { creates in
                var inFlight = 0
                while Date() < deadline {
                    if inFlight == Self.createsAtOnce {
                        await creates.next()
                        inFlight -= 1
                    }
                    creates.addTask { await created.create(on: base, since: begun) }
                    inFlight += 1
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }

        // The chaos, one act every few seconds, in turn.
        var act = 0
        var acts: [String] = []
        var lastRestart: Date?
        while Date() < deadline {
            try await Task.sleep(for: .seconds(3))
            let actStarted = Date(), kind = act % 6
            defer { acts.append(String(format: "%d at %.1f s for %.1f s", kind, actStarted.timeIntervalSince(begun), Date().timeIntervalSince(actStarted))) }
            switch kind {
            case 0:
                await afm.kill()
                afm = try AFMProcess(environment: environment, port: port)
                try await afm.waitUntilServing()
                lastRestart = Date()
            case 1:
                let index = (act / 6) % agents.count
                agents[index].signal(SIGKILL)
                _ = await agents[index].waitForExit(timeout: .seconds(5))
                agents[index] = try AgentProcess(afm: base, stateDirectory: agents[index].stateDirectory, arguments: Self.agentArguments)
            case 2:
                try await postgres.stop()
                try await Task.sleep(for: .seconds(1))
                try await postgres.resume()
            case 3:
                // A request head trickled in, and a body abandoned halfway.
                let slow = try RawConnection(port: port).send(Array("POST /task HTTP/1.1\r\nHost: afm\r\n".utf8))
                let abandoned = try RawConnection(port: port)
                    .send(Array("POST /task HTTP/1.1\r\nHost: afm\r\nContent-Length: 500\r\n\r\n{\"task_id\":".utf8))
                abandoned.close()
                try await Task.sleep(for: .seconds(1))
                slow.close()
            case 4:
                // Pipelined requests never read, for a second.
                let flood = try RawConnection(port: port)
                let requests = Array(repeating: Array("GET /metrics HTTP/1.1\r\nHost: afm\r\n\r\n".utf8), count: 100).flatMap { $0 }
                let until = Date().addingTimeInterval(1)
                while Date() < until, flood.sendWithoutWaiting(requests) != nil { try await Task.sleep(for: .milliseconds(10)) }
                flood.close()
            default:
                // Agents that poll on a new connection every time, and go.
                for _ in 0..<50 {
                    let agent = UUID().uuidString.lowercased()
                    _ = try? RawConnection(port: port).send(Array((
                        "POST /tasks HTTP/1.1\r\nHost: afm\r\nConnection: close\r\nContent-Length: 140\r\n\r\n"
                            + #"{"protocol":1,"agent_id":"\#(agent)","agent_name":"x","agent_time":"t","agent_capabilities":{},"max_tasks":0}"#
                            .padding(toLength: 140, withPad: " ", startingAt: 0)).utf8))
                }
            }
            act += 1
        }
        await bpms.value

        // Quiet now: every created task must end, through the agents (a killed one reports what it held).
        let ids = created.ids.withLock { $0 }
        // How many creates a busy machine answers varies tenfold; what matters is that the stream ran through the
        // chaos: a task a second on average, and tasks created after the last restart of afm (when there were five
        // seconds left to create them).
        let diagnosis = "creates over 1 s: \(created.slow.withLock { $0.prefix(20) }); acts: \(acts)"
        #expect(ids.count >= Int(Self.seconds), "only \(ids.count) tasks were created; \(diagnosis)")
        if let restarted = lastRestart, restarted < deadline.addingTimeInterval(-5) {
            #expect(created.latest.withLock { $0 } > restarted, "no task was created after afm's last restart; \(diagnosis)")
        }
        let outcomes: [String: JSONValue]
        do {
            outcomes = try await BPMS.waitForOutcomes(on: base, ids: ids, timeout: .seconds(90))
        } catch {
            Issue.record("\(error); agents' logs:\n\(agents.map { String($0.log.suffix(2000)) }.joined(separator: "\n---\n"))")
            return
        }
        let killedInHand = "the agent stopped while running this task"
        let otherwise = outcomes.filter {
            $0.value["task_completed"] == nil && $0.value["task_error"]?.stringValue?.hasPrefix(killedInHand) != true
        }
        #expect(otherwise.isEmpty, "\(otherwise.count) tasks failed otherwise: \(otherwise.prefix(3))")

        // Resources: a fresh baseline of this afm process, some ordinary traffic, then back near it.
        let current = afm
        let baseline = (descriptors: current.statistics.openDescriptors, memory: current.statistics.residentMegabytes)
        for _ in 0..<200 { _ = try await HTTP.get(base.appendingPathComponent("status")) }
        let settled = await eventually(timeout: .seconds(10)) { current.statistics.openDescriptors <= baseline.descriptors + 4 }
        #expect(settled, "descriptors \(baseline.descriptors) → \(current.statistics.openDescriptors)")
        #expect(current.statistics.residentMegabytes < baseline.memory + 32, "memory \(baseline.memory) → \(current.statistics.residentMegabytes) MiB")

        for agent in agents { agent.signal(SIGTERM) }
        for agent in agents { _ = await agent.waitForExit(timeout: .seconds(15)) }
        await current.terminate()
    }
}

/// The tasks `afm` answered as created, and the creates that took long.
private final class CreatedTasks: Sendable {
    let ids = Mutex<[String]>([])
    /// Creates that took over a second: how long, when (from the start of the test) and how they ended.
    let slow = Mutex<[String]>([])
    /// When the last create was answered.
    let latest = Mutex<Date>(.distantPast)

    func create(on base: URL, since begun: Date) async {
        let id = UUID().uuidString.lowercased()
        let body = #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"wait","task_version":1,"task_data":{"time":0}}"#
        let started = Date()
        let outcome: String
        do {
            let answer = try await HTTP.post(base.appendingPathComponent("task"), json: body)
            if answer.status == 200 {
                ids.withLock { $0.append(id) }
                latest.withLock { $0 = max($0, Date()) }
            }
            outcome = "\(answer.status)"
        } catch {
            outcome = "\(error)"
        }
        let took = Date().timeIntervalSince(started)
        if took > 1 {
            slow.withLock { $0.append(String(format: "%.1f s at %.1f s: %@", took, started.timeIntervalSince(begun), outcome)) }
        }
    }
}
