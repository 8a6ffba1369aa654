import FleetTestSupport
import Foundation
import JSON
import Testing

/// The real `afm-agent` against the real `afm` (embedded store), over loopback.
@Suite("afm-agent against afm")
struct AgentSystemTests {
    /// A temporary folder with an AFM configuration that sends agents back after 1 s.
    final class Workspace: Sendable {
        let root: URL

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("agent-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try "AGENT_RETURN_TIME = 1\n".write(to: root.appendingPathComponent("afm.cfg"), atomically: true, encoding: .utf8)
        }

        var afmArguments: [String] {
            ["--database-uri", "sqlite:///" + root.appendingPathComponent("afm.sqlite").path, "-c", root.appendingPathComponent("afm.cfg").path]
        }

        func startAFM(port: Int? = nil) async throws -> AFMProcess {
            let afm = try AFMProcess(arguments: afmArguments, port: port)
            try await afm.waitUntilServing()
            return afm
        }

        var state: URL { root.appendingPathComponent("state") }

        /// Writes an executable plug-in script into `handlers/`.
        func plugin(_ name: String, _ script: String) throws -> URL {
            let directory = root.appendingPathComponent("handlers")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent(name)
            try ("#!/bin/sh\n" + script + "\n").write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
            return directory
        }

        deinit {
            try? FileManager.default.removeItem(at: root)
        }
    }

    @Test("built-in and plug-in handlers run their tasks, and plug-in failures come back as task errors")
    func handlers() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        _ = try workspace.plugin("echo@1", "cat")
        _ = try workspace.plugin("fail@1", "echo 'disk on fire' >&2; exit 3")
        _ = try workspace.plugin("garbage@1", "echo 'not json'")
        let handlers = try workspace.plugin("slow@2.sh", "sleep 30")
        let ids = [
            "wait": try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 1]),
            "status": try await BPMS.createTask(on: afm.baseURL, type: "url_http_status", data: ["url": .string(afm.baseURL.appendingPathComponent("status").absoluteString)]),
            "echo": try await BPMS.createTask(on: afm.baseURL, type: "echo", data: ["probe": "x", "n": [1, 2]]),
            "fail": try await BPMS.createTask(on: afm.baseURL, type: "fail", data: [:]),
            "garbage": try await BPMS.createTask(on: afm.baseURL, type: "garbage", data: [:]),
            "slow": try await BPMS.createTask(on: afm.baseURL, type: "slow", version: 2, data: [:]),
        ]
        let agent = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state,
                                     arguments: ["-x", "6", "--handlers-dir", handlers.path, "--handler-timeout", "2"])
        let outcomes = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: Array(ids.values), timeout: .seconds(30))
        #expect(outcomes[ids["wait"]!]?["task_result"]?["time"]?.numberValue.map { $0.doubleValue >= 0.9 } == true)
        #expect(outcomes[ids["status"]!]?["task_result"] == ["status": 200])
        #expect(outcomes[ids["echo"]!]?["task_result"] == ["probe": "x", "n": [1, 2]])
        let failure = outcomes[ids["fail"]!]?["task_error"]?.stringValue ?? ""
        #expect(failure.contains("exited with status 3") && failure.contains("disk on fire"), "\(failure)")
        #expect(outcomes[ids["garbage"]!]?["task_error"]?.stringValue?.contains("invalid JSON") == true)
        #expect(outcomes[ids["slow"]!]?["task_error"]?.stringValue?.contains("did not finish within") == true)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 0, "\(agent.log)")
        #expect(agent.outbox.isEmpty)
    }

    @Test("afm killed while results are pending and restarted later: every result arrives")
    func afmOutage() async throws {
        let workspace = try Workspace()
        var afm = try await workspace.startAFM()
        let port = afm.port
        var ids: [String] = []
        // Long enough that the AFM is surely gone before the tasks finish, even on a loaded machine.
        for _ in 0..<4 { ids.append(try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 4])) }
        let agent = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state, arguments: ["-x", "4"])
        try await waitUntil(timeout: .seconds(15)) { agent.log.contains("received 4 task(s)") }
        await afm.kill()
        try await waitUntil(timeout: .seconds(15)) { agent.outbox.count == 4 }
        try await Task.sleep(for: .seconds(2))
        afm = try await workspace.startAFM(port: port)
        defer { afm.requestStop() }
        let outcomes = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: ids, timeout: .seconds(60))
        #expect(outcomes.values.allSatisfy { $0["task_completed"] != nil })
        try await waitUntil(timeout: .seconds(10)) { agent.outbox.isEmpty }
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("agent killed with SIGKILL while results are pending and restarted: every result arrives once, and its id survives")
    func agentCrash() async throws {
        let workspace = try Workspace()
        var afm = try await workspace.startAFM()
        let port = afm.port
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 4])) }
        let first = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state, arguments: ["-x", "3"])
        try await waitUntil(timeout: .seconds(15)) { first.log.contains("received 3 task(s)") }
        let idBefore = try String(contentsOf: workspace.state.appendingPathComponent("agent-id"), encoding: .utf8)
        await afm.kill()
        try await waitUntil(timeout: .seconds(15)) { first.outbox.count == 3 }
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: .seconds(5))

        afm = try await workspace.startAFM(port: port)
        defer { afm.requestStop() }
        let second = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state)
        let outcomes = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: ids, timeout: .seconds(30))
        #expect(outcomes.values.allSatisfy { $0["task_completed"] != nil })
        try await waitUntil(timeout: .seconds(10)) { second.outbox.isEmpty }
        // A result sent twice would be refused by the AFM (the task is already completed) and logged as such.
        #expect(!second.log.contains("refused"), "\(second.log)")
        let idAfter = try String(contentsOf: workspace.state.appendingPathComponent("agent-id"), encoding: .utf8)
        #expect(idAfter == idBefore)
        let (_, dashboard) = try await HTTP.get(afm.baseURL.appendingPathComponent("dashboard/status"))
        let agents = try JSONParser.parse(dashboard)["agents"]?.arrayValue ?? []
        #expect(agents.map { $0["agent_id"]?.stringValue } == [idBefore.trimmingCharacters(in: .whitespacesAndNewlines)])
        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("an agent killed with tasks in hand reports them as failed when it starts again: none stays claimed")
    func killedWithTasksInHand() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        var ids: [String] = []
        for _ in 0..<2 { ids.append(try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 600])) }
        let first = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state, arguments: ["-x", "2"])
        try await waitUntil(timeout: .seconds(15)) { first.log.contains("received 2 task(s)") }
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: .seconds(5))

        // Restarted at once with the same id, so its lease never lapses: only the agent itself can end the tasks.
        let second = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state)
        let outcomes = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: ids, timeout: .seconds(20))
        for id in ids {
            #expect(outcomes[id]?["task_failed"] != nil, "\(id): \(outcomes[id].map { "\($0)" } ?? "no outcome")")
            #expect(outcomes[id]?["task_error"]?.stringValue?.contains("the agent stopped while running this task") == true)
        }
        #expect(second.log.contains("reporting 2 task(s) an earlier run left unfinished as failed"), "\(second.log)")
        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("SIGTERM lets a running task finish and deliver before the agent exits with status 0")
    func gracefulShutdown() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        let id = try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 3])
        let agent = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state)
        try await waitUntil(timeout: .seconds(15)) { agent.log.contains("running task \(id)") }
        agent.signal(SIGTERM)
        let exit = await agent.waitForExit(timeout: .seconds(20))
        #expect(exit == 0, "exit \(String(describing: exit)): \(agent.log)")
        #expect(try await BPMS.task(on: afm.baseURL, id: id)["task_completed"] != nil)
    }

    @Test("a second signal exits at once, leaving undelivered results in the outbox")
    func secondSignal() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        _ = try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 4])
        let agent = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state, arguments: ["--grace-period", "60"])
        try await waitUntil(timeout: .seconds(15)) { agent.log.contains("received 1 task(s)") }
        await afm.kill()
        try await waitUntil(timeout: .seconds(15)) { agent.outbox.count == 1 }
        agent.signal(SIGTERM)
        try await waitUntil(timeout: .seconds(5)) { agent.log.contains("stopping") }
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(5)) == 4)
        #expect(agent.outbox.count == 1)
    }

    @Test("a task held by a killed agent is handed back by the sweeper and completed by another agent; an unclaimed task expires")
    func leaseAndExpiry() async throws {
        let workspace = try Workspace()
        try "AGENT_RETURN_TIME = 1\nAGENT_ACTIVE_THRESHOLD = 2\nTASK_MAX_ATTEMPTS = 3\n".write(
            to: workspace.root.appendingPathComponent("afm.cfg"), atomically: true, encoding: .utf8)
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        let held = try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 2])
        let first = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.root.appendingPathComponent("first"))
        try await waitUntil(timeout: .seconds(15)) { first.log.contains("running task \(held)") }
        first.signal(SIGKILL)
        _ = await first.waitForExit(timeout: .seconds(5))
        let second = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.root.appendingPathComponent("second"))
        let outcome = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: [held], timeout: .seconds(30))[held]
        #expect(outcome?["task_completed"] != nil, "\(String(describing: outcome))")
        let (_, body) = try await HTTP.get(afm.baseURL.appendingPathComponent("v2/tasks/\(held)"))
        let task = try JSONParser.parse(body)
        #expect(task["attempts"] == 1)
        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(10)) == 0)

        // No agent runs "no_such_check": a task of that type with a time to live expires, and protocol 1 shows it failed.
        let (status, created) = try await HTTP.post(afm.baseURL.appendingPathComponent("v2/tasks"), json: #"{"task_type": "no_such_check", "task_version": 1, "ttl_seconds": 1}"#)
        #expect(status == 201)
        let id = try #require(try JSONParser.parse(created)["task_id"]?.stringValue)
        let expired = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: [id], timeout: .seconds(15))[id]
        #expect(expired?["task_error"] == "expired")
    }

    @Test("a result the AFM refuses (4xx: the task is unknown) is logged and dropped, not retried")
    func refusedResult() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        let outbox = workspace.state.appendingPathComponent("outbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        let unknown = UUID().uuidString.lowercased()
        try #"{"protocol":1,"task_id":"\#(unknown)","task_data":{}}"#.write(to: outbox.appendingPathComponent("\(unknown).json"), atomically: true, encoding: .utf8)
        let agent = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state)
        try await waitUntil(timeout: .seconds(15)) { agent.outbox.isEmpty }
        #expect(agent.log.contains("the AFM refused the result for task \(unknown) (HTTP 400"), "\(agent.log)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
    }

    @Test("an AFM that refuses the poll with a 4xx stops the agent with status 2")
    func refusedPoll() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        // POST /elsewhere/tasks is not a route: 404.
        let agent = try AgentProcess(afm: afm.baseURL.appendingPathComponent("elsewhere"), stateDirectory: workspace.state)
        #expect(await agent.waitForExit(timeout: .seconds(15)) == 2)
        #expect(agent.log.contains("refused the poll with HTTP 404"))
    }

    @Test("an AFM that wants an agent token stops an agent without one (or with a wrong one) with status 1, naming AFM_AGENT_TOKEN",
          arguments: [nil, "not-the-right-token"])
    func missingToken(token: String?) async throws {
        let workspace = try Workspace()
        let afm = try AFMProcess(environment: ["AFM_DB_URI": "sqlite://", "AFM_AGENT_TOKENS": "the-agent-token-1"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        let agent = try AgentProcess(
            afm: afm.baseURL, stateDirectory: workspace.state, environment: token.map { ["AFM_AGENT_TOKEN": $0] } ?? [:])
        #expect(await agent.waitForExit(timeout: .seconds(15)) == 1)
        let message = token == nil ? "requires an agent token (HTTP 401); set AFM_AGENT_TOKEN" : "does not accept the token in AFM_AGENT_TOKEN"
        #expect(agent.log.split(separator: "\n").last?.contains("afm-agent: the AFM at \(afm.baseURL.absoluteString) \(message)") == true, "\(agent.log)")
    }

    @Test("a refused connection is reported at once, not after the HTTP client's connect timeout")
    func refusedConnection() async throws {
        let workspace = try Workspace()
        // Bound and never listening: refuses connections, and no other test can take the port meanwhile.
        let reserved = try LoopbackPort()
        defer { withExtendedLifetime(reserved) {} }
        let closedPort = reserved.port
        let agent = try AgentProcess(afm: URL(string: "http://127.0.0.1:\(closedPort)")!, stateDirectory: workspace.state)
        defer { agent.signal(SIGKILL) }
        let reported = await eventually(timeout: .seconds(3)) { agent.log.contains("poll failed") }
        #expect(reported, "\(agent.log)")
    }

    static let badConfigurations: [(arguments: [String], environment: [String: String], message: String)] = [
        ([], [:], "no AFM URL"),
        (["-u", "ftp://afm"], [:], "must be an http or https URL"),
        (["-u", "http://afm", "--location", "FIN/18"], [:], "location must be COUNTRY/REGION"),
        (["-u", "http://afm", "-x", "0"], [:], "at least 1"),
        ([], ["AFM": "http://afm", "AGENT_NUM_EXECUTORS": "many"], "AGENT_NUM_EXECUTORS must be a whole number"),
        (["-u", "http://afm", "--handlers-dir", "/nonexistent-handlers"], [:], "cannot read the handlers directory"),
    ]

    @Test("a configuration mistake stops the agent with status 1 and one line", arguments: badConfigurations)
    func badConfiguration(arguments: [String], environment: [String: String], message: String) async throws {
        let workspace = try Workspace()
        let agent = try AgentProcess(afm: nil, stateDirectory: workspace.state, arguments: arguments, environment: environment)
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 1)
        let lines = agent.log.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(message), "\(agent.log)")
    }

    @Test("the AFM URL and the other settings come from the environment too; slamon-agent's -l is accepted")
    func environment() async throws {
        let workspace = try Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        let id = try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 0])
        let agent = try AgentProcess(afm: nil, stateDirectory: workspace.state, arguments: ["-l", "slamon_agent.handlers"],
                                     environment: ["AFM": afm.baseURL.absoluteString, "AGENT_NAME": "probe-7", "AGENT_LOCATION": "FI/18"])
        _ = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: [id], timeout: .seconds(15))
        let (_, dashboard) = try await HTTP.get(afm.baseURL.appendingPathComponent("dashboard/status"))
        #expect(try JSONParser.parse(dashboard)["agents"]?.arrayValue?.first?["agent_name"] == "probe-7")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 0)
    }
}

