import FleetTestSupport
import Foundation
import Testing

/// Requests the database could not store (a NUL character, which PostgreSQL text cannot hold) get 400 on every
/// engine, and fail no other client's request, even when they arrive together and share a batch statement.
@Suite("bad input is isolated")
struct BadInputIsolationTests {
    @Test("NUL in a task type, a capability, an error text or a query parameter: 400, and every valid request beside it succeeds",
          arguments: StoreEngine.allCases)
    func nulIsRefusedAlone(engine: StoreEngine) async throws {
        let uri = try await engine.makeDatabaseURI()
        let afm = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        let base = afm.baseURL

        // Tasks for the result half: claimed by one agent, then completed while bad results arrive beside them.
        let agentID = UUID().uuidString.lowercased()
        let resultTasks = (0..<60).map { _ in UUID().uuidString.lowercased() }
        for id in resultTasks {
            _ = try await HTTP.post(base.appendingPathComponent("task"), json: Self.createBody(id: id, type: "wait"))
        }
        var claimed = 0
        while claimed < resultTasks.count {
            let poll = try await HTTP.post(base.appendingPathComponent("tasks"), json: Self.pollBody(agentID: agentID, capability: "wait", maxTasks: 60))
            let count = String(decoding: poll.body, as: UTF8.self).matches(of: /"task_id"/).count
            guard count > 0 else { break }
            claimed += count
        }
        #expect(claimed == resultTasks.count)

        let statuses = try await withThrowingTaskGroup(of: (valid: Bool, status: Int).self) { group in
            for client in 0..<4 {
                group.addTask {
                    var last = 200
                    for _ in 0..<50 {
                        let id = UUID().uuidString.lowercased()
                        last = try await HTTP.post(base.appendingPathComponent("task"), json: Self.createBody(id: id, type: "check")).status
                        if last != 200 { break }
                    }
                    return (true, last)
                }
                group.addTask {
                    var last = 400
                    for round in 0..<50 {
                        let id = UUID().uuidString.lowercased()
                        let bad = switch (client + round) % 3 {
                        case 0: try await HTTP.post(base.appendingPathComponent("task"), json: Self.createBody(id: id, type: #"check\u0000"#))
                        case 1: try await HTTP.post(base.appendingPathComponent("tasks"), json: Self.pollBody(agentID: id, capability: #"c\u0000"#, maxTasks: 1))
                        default: try await HTTP.get(URL(string: "\(base)/v2/tasks?type=a%00b")!)
                        }
                        last = bad.status
                        if last != 400 { break }
                    }
                    return (false, last)
                }
            }
            for (index, id) in resultTasks.enumerated() {
                group.addTask {
                    let body = index % 2 == 0
                        ? #"{"protocol":1,"task_id":"\#(id)","task_data":{"ok":true}}"#
                        : #"{"protocol":1,"task_id":"\#(id)","task_error":"broken\u0000"}"#
                    let status = try await HTTP.post(base.appendingPathComponent("tasks/response"), json: body).status
                    return (index % 2 == 0, status)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let validFailures = statuses.filter { $0.valid && $0.status != 200 }
        let badNot400 = statuses.filter { !$0.valid && $0.status != 400 }
        #expect(validFailures.isEmpty, "valid requests failed: \(validFailures)")
        #expect(badNot400.isEmpty, "bad requests not answered 400: \(badNot400)")

        // The refused error texts left their tasks claimed, ready for a valid outcome.
        for id in resultTasks.enumerated().filter({ $0.offset % 2 == 1 }).map(\.element) {
            let status = try await HTTP.post(base.appendingPathComponent("tasks/response"), json: #"{"protocol":1,"task_id":"\#(id)","task_error":"broken"}"#).status
            #expect(status == 200)
        }
    }

    static func createBody(id: String, type: String) -> String {
        #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"\#(type)","task_version":1}"#
    }

    static func pollBody(agentID: String, capability: String, maxTasks: Int) -> String {
        #"{"protocol":1,"agent_id":"\#(agentID)","agent_name":"a","agent_time":"t","agent_capabilities":{"\#(capability)":{"version":1}},"max_tasks":\#(maxTasks)}"#
    }
}
