import FleetTestSupport
import Foundation
import JSON
import Testing

/// `TASK_RUN_TIMEOUT` on a real `afm`: a task whose agent keeps polling but never answers is handed back, then
/// failed, instead of staying claimed for good.
@Suite("task run timeout")
struct RunTimeoutTests {
    @Test("a task claimed past TASK_RUN_TIMEOUT is handed back while its agent keeps polling, then fails with 'run timed out'")
    func stuckTaskIsRescued() async throws {
        let afm = try AFMProcess(environment: ["AFM_DB_URI": "sqlite://", "TASK_RUN_TIMEOUT": "1", "TASK_MAX_ATTEMPTS": "2"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        let id = UUID().uuidString.lowercased()
        let created = try await HTTP.post(
            afm.baseURL.appendingPathComponent("task"),
            json: #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"wait","task_version":1}"#)
        #expect(created.status == 200)
        let agent = UUID().uuidString.lowercased()
        let poll = #"{"protocol":1,"agent_id":"\#(agent)","agent_name":"stuck","agent_time":"t","agent_capabilities":{"wait":{"version":1}},"max_tasks":1}"#

        // The agent claims the task, never answers, and keeps polling (so it is never lost).
        var claims = 0
        var final: JSONValue?
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let answer = try await HTTP.post(afm.baseURL.appendingPathComponent("tasks"), json: poll)
            if String(decoding: answer.body, as: UTF8.self).contains(id) { claims += 1 }
            let (_, body) = try await HTTP.get(afm.baseURL.appendingPathComponent("v2/tasks/\(id)"))
            let task = try JSONParser.parse(body)
            if task["state"]?.stringValue == "failed" {
                final = task
                break
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(claims == 2, "claimed \(claims) times")
        #expect(final?["error"]?.stringValue == "run timed out", "\(final.map { "\($0)" } ?? "still not failed")")
    }
}
