import FleetTestSupport
import Foundation
import Testing

/// What a BPMS sends in `task_data`, and what an agent sends back, comes back as it was written, numbers included,
/// through a real `afm` and its store.
@Suite("payload fidelity")
struct PayloadFidelityTests {
    static let numbers = #"[123456789012345678901234567890,0.1000000000000000055511151231257827,-0,1E5,2.50,-9223372036854775809,17]"#

    @Test("numbers keep their text from the BPMS to the agent and from the agent back to the BPMS", arguments: StoreEngine.allCases)
    func numbersKeepTheirText(engine: StoreEngine) async throws {
        let afm = try AFMProcess(environment: ["AFM_DB_URI": try await engine.makeDatabaseURI(), "LOG_LEVEL": "WARNING"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        let id = UUID().uuidString.lowercased()
        let created = try await HTTP.post(
            afm.baseURL.appendingPathComponent("task"),
            json: #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"wait","task_version":1,"task_data":{"n":\#(Self.numbers)}}"#)
        #expect(created.status == 200)

        let poll = try await HTTP.post(
            afm.baseURL.appendingPathComponent("tasks"),
            json: #"{"protocol":1,"agent_id":"\#(UUID().uuidString.lowercased())","agent_name":"a","agent_time":"t","agent_capabilities":{"wait":{"version":1}},"max_tasks":1}"#)
        #expect(String(decoding: poll.body, as: UTF8.self).contains(#""task_data":{"n":\#(Self.numbers)}"#), "\(String(decoding: poll.body, as: UTF8.self))")

        let posted = try await HTTP.post(
            afm.baseURL.appendingPathComponent("tasks/response"), json: #"{"protocol":1,"task_id":"\#(id)","task_data":{"r":\#(Self.numbers)}}"#)
        #expect(posted.status == 200)
        let read = try await HTTP.get(afm.baseURL.appendingPathComponent("task/\(id)"))
        let body = String(decoding: read.body, as: UTF8.self)
        #expect(body.contains(#"{"n":\#(Self.numbers)}"#) && body.contains(#"{"r":\#(Self.numbers)}"#), "\(body)")
    }
}
