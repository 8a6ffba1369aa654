import FleetTestSupport
import Foundation
import JSON
import Testing

/// The built-in checks through real processes: `afm-agent` registers their schemas with `afm`, which then refuses a
/// bad check when it is created, and runs them against real servers on loopback; a target that is down completes
/// the task with `success: false` and its reason, it does not fail it.
@Suite("monitoring checks through afm and afm-agent")
struct CheckSystemTests {
    @Test("the agent registers http, tcp, tls, dns and icmp; a bad regex is a 400 at creation; checks of up and down targets complete")
    func registeredAndRun() async throws {
        let workspace = try AgentSystemTests.Workspace()
        let afm = try await workspace.startAFM()
        defer { afm.requestStop() }
        let targets = try await CheckTargets()
        defer { Task { await targets.stop() } }
        let agent = try AgentProcess(afm: afm.baseURL, stateDirectory: workspace.state, arguments: ["--poll-wait", "20", "-x", "4"])
        defer { agent.signal(SIGTERM) }

        let typesURL = afm.baseURL.appendingPathComponent("v2/task-types")
        try await waitUntil(timeout: .seconds(30)) {
            let listed = try? JSONParser.parse(try await HTTP.get(typesURL).body)["task_types"]?.arrayValue
            let names = Set((listed ?? []).compactMap { $0["task_type"]?.stringValue })
            return names.isSuperset(of: ["http", "tcp", "tls", "dns", "icmp"])
        }
        #expect(agent.log.contains("registered the built-in checks with the AFM"))

        func create(_ type: String, _ data: JSONValue) async throws -> (status: Int, body: JSONValue) {
            let body: JSONValue = ["task_type": .string(type), "task_version": 1, "task_data": data]
            let answer = try await HTTP.post(afm.baseURL.appendingPathComponent("v2/tasks"), json: JSONWriter.string(from: body))
            return (answer.status, try JSONParser.parse(answer.body))
        }
        let badRegex = try await create("http", ["url": "http://127.0.0.1/", "assert": ["body_matches": "(unclosed"]])
        #expect(badRegex.status == 400, "\(badRegex.body)")
        #expect(badRegex.body["violations"]?.arrayValue?.contains { $0["instance"]?.stringValue == "/task_data/assert/body_matches" } == true, "\(badRegex.body)")
        let badPort = try await create("tcp", ["host": "127.0.0.1", "port": 70_000])
        #expect(badPort.status == 400)

        let http = "http://127.0.0.1:\(targets.httpPort)"
        // Bound and never listening: refuses connections, and no other test can take the port meanwhile.
        let reserved = try LoopbackPort()
        defer { withExtendedLifetime(reserved) {} }
        let closed = reserved.port
        let checks: [(name: String, type: String, data: JSONValue, success: Bool, reason: String?)] = [
            ("up", "http", ["url": .string(http + "/json"), "assert": ["json": [["pointer": "/status", "value": "UP"]]]], true, nil),
            ("500", "http", ["url": .string(http + "/status/500")], false, "assert.status: 500 is not 2xx"),
            ("refused", "tcp", ["host": "127.0.0.1", "port": .number(.integer(Int64(closed)))], false,
             "cannot connect to 127.0.0.1:\(closed): connection refused"),
            ("greeting", "tcp", ["host": "127.0.0.1", "port": .number(.integer(Int64(targets.linePort))), "expect": "^220"], true, nil),
            ("certificate", "tls", ["host": "127.0.0.1", "port": .number(.integer(Int64(targets.httpsPort))), "ca_file": .string(targets.certificate)], true, nil),
        ]
        var ids: [String: String] = [:]
        for check in checks {
            let created = try await create(check.type, check.data)
            #expect(created.status == 201, "\(check.name): \(created.body)")
            ids[check.name] = created.body["task_id"]?.stringValue
        }
        var finished: [String: JSONValue] = [:]
        var last: [String: JSONValue] = [:]
        let done = await eventually(timeout: .seconds(30)) {
            for (name, id) in ids where finished[name] == nil {
                let task = try? JSONParser.parse(try await HTTP.get(afm.baseURL.appendingPathComponent("v2/tasks/\(id)")).body)
                last[name] = task
                if let task, ["completed", "failed"].contains(task["state"]?.stringValue ?? "") { finished[name] = task }
            }
            return finished.count == ids.count
        }
        #expect(done, "unfinished: \(last.filter { finished[$0.key] == nil }); agent log: \(agent.log.prefix(6000))")
        for check in checks {
            let task = try #require(finished[check.name])
            #expect(task["state"] == "completed", "\(check.name): a check's outcome completes the task: \(task)")
            let result = try #require(task["result"], "\(check.name)")
            #expect(result["success"] == .bool(check.success), "\(check.name): \(result)")
            #expect(result["reason"]?.stringValue == check.reason, "\(check.name): \(result)")
            #expect(result["duration_seconds"]?.numberValue != nil)
        }
    }
}
