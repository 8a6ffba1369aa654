import FleetTestSupport
import Foundation
import Testing

/// The original SLAMon Python agent (`slamon-agent` 1.1.0 from PyPI, unmodified) against our `afm`.
/// `SLAMON_AGENT` names its executable; the README's test command installs it in a virtual environment.
@Suite(
    "Original SLAMon agent against afm",
    .enabled(
        if: ProcessInfo.processInfo.environment["SLAMON_AGENT"] != nil,
        "SLAMON_AGENT is not set (path of slamon-agent 1.1.0), so the interoperability test cannot run; use the README's test command"))
struct SLAMonAgentInteropTests {
    @Test("the original agent runs wait and url_http_status tasks and reports errors, and the BPMS reads every outcome")
    func originalAgent() async throws {
        let afm = try AFMProcess(environment: ["DATABASE_URI": "sqlite://", "AGENT_RETURN_TIME": "1"])
        try await afm.waitUntilServing()
        let wait = UUID().uuidString.lowercased()
        let status = UUID().uuidString.lowercased()
        let broken = UUID().uuidString.lowercased()
        let testID = UUID().uuidString.lowercased()
        let tasks = [
            (wait, "wait", #"{"time": 1}"#),
            (status, "url_http_status", #"{"url": "\#(afm.baseURL.absoluteString)/status"}"#),
            (broken, "wait", #"{"time": "soon"}"#),
        ]
        for (id, type, data) in tasks {
            let created = try await HTTP.post(
                afm.baseURL.appendingPathComponent("task"),
                json: #"{"task_id":"\#(id)","test_id":"\#(testID)","task_type":"\#(type)","task_version":1,"task_data":\#(data)}"#)
            #expect(created.status == 200)
        }

        let agentProcess = Process()
        agentProcess.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SLAMON_AGENT"]!)
        agentProcess.arguments = ["-u", afm.baseURL.absoluteString, "-l", "slamon_agent.handlers", "-w", "1"]
        agentProcess.standardOutput = FileHandle.nullDevice
        agentProcess.standardError = FileHandle.nullDevice
        let agent = try ChildProcess(starting: agentProcess)
        // The original agent finishes its executors on SIGTERM; the test needs it gone now.
        defer { agent.signal(SIGKILL) }

        var outcomes: [String: String] = [:]
        let deadline = Date().addingTimeInterval(30)
        while outcomes.count < 3 && Date() < deadline {
            for (id, _, _) in tasks where outcomes[id] == nil {
                let read = try await HTTP.get(afm.baseURL.appendingPathComponent("task/\(id)"))
                let text = String(decoding: read.body, as: UTF8.self)
                if text.contains("task_completed") || text.contains("task_failed") { outcomes[id] = text }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(outcomes[wait]?.contains(#""task_result":{"time":"#) == true, "\(outcomes[wait] ?? "no outcome")")
        #expect(outcomes[status]?.contains(#""task_result":{"status":200}"#) == true, "\(outcomes[status] ?? "no outcome")")
        #expect(outcomes[broken]?.contains(#""task_error":"#) == true, "\(outcomes[broken] ?? "no outcome")")
        let dashboard = String(decoding: try await HTTP.get(afm.baseURL.appendingPathComponent("dashboard/status")).body, as: UTF8.self)
        #expect(dashboard.contains("Python Agent"))
        await afm.terminate()
    }
}
