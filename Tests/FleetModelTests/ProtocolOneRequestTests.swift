import FleetModel
import Foundation
import JSON
import Testing

@Suite("Protocol-1 requests")
struct ProtocolOneRequestTests {
    let poll: JSONValue = [
        "protocol": 1, "agent_id": "0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9", "agent_name": "a",
        "agent_time": "2026-11-23T14:00:00+02:00", "agent_capabilities": ["wait": ["version": 1], "b": ["version": 2]],
        "max_tasks": 3, "agent_location": ["country": "FI", "region": "18", "latitude": 60.2, "longitude": 24.9],
    ]

    @Test("a poll maps to the domain with sorted capabilities and the location")
    func pollMapping() throws {
        let request = try PollRequest(json: poll)
        #expect(request.poll.agentID == UUID(uuidString: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"))
        #expect(request.poll.capabilities == [Capability(type: "b", version: 2), Capability(type: "wait", version: 1)])
        #expect(request.poll.maxTasks == 3)
        #expect(request.poll.location == AgentLocation(country: "FI", region: "18", latitude: 60.2, longitude: 24.9))
    }

    @Test("a negative max_tasks asks for nothing")
    func negativeMaxTasks() throws {
        var members = poll.objectValue!
        members["max_tasks"] = -5
        #expect(try PollRequest(json: .object(members)).poll.maxTasks == 0)
    }

    @Test("a capability version beyond 64 bits, below or above, is refused", arguments: [
        "-9223372036854775809", "9223372036854775808",
    ])
    func versionBeyond64Bits(version: String) throws {
        let text = JSONWriter.string(from: poll).replacingOccurrences(of: #""wait":{"version":1}"#, with: #""wait":{"version":\#(version)}"#)
        #expect(text.contains(version))
        #expect(throws: InvalidRequest.self) { try PollRequest(json: try JSONParser.parse(text)) }
    }

    @Test("a result keeps its JSON; an error keeps its text")
    func outcomes() throws {
        let result = try TaskResultRequest(json: ["protocol": 1, "task_id": "de305d54-75b4-431b-adb2-eb6b9e546013", "task_data": ["z": 1, "a": [true]]])
        #expect(result.outcome == .result(json: #"{"a":[true],"z":1}"#))
        let failure = try TaskResultRequest(json: ["protocol": 1, "task_id": "de305d54-75b4-431b-adb2-eb6b9e546013", "task_error": "boom"])
        #expect(failure.outcome == .error("boom"))
    }

    @Test("schema violations carry every violation")
    func violations() {
        do {
            _ = try CreateTaskRequest(json: ["task_id": "x", "task_type": 1])
            Issue.record("accepted")
        } catch {
            let locations = Set(error.violations.map(\.instanceLocation))
            #expect(locations.isSuperset(of: ["/task_id", "/task_type", ""]))
        }
    }
}
