import FleetWire
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

    @Test("a poll reads with sorted capabilities and the location, and writes back to the same value")
    func pollReadAndWritten() throws {
        let request = try PollBody(json: poll)
        #expect(request.agentID == UUID(uuidString: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"))
        #expect(request.capabilities == [.init(type: "b", version: 2), .init(type: "wait", version: 1)])
        #expect(request.maxTasks == 3)
        #expect(request.location == .init(country: "FI", region: "18", latitude: 60.2, longitude: 24.9))
        #expect(try PollBody(json: try JSONParser.parse(request.encoded())) == request)
    }

    @Test("a max_tasks beyond 64 bits asks for nothing; a negative one is kept for the reader")
    func maxTasksOutOfRange() throws {
        var members = poll.objectValue!
        members["max_tasks"] = -5
        #expect(try PollBody(json: .object(members)).maxTasks == -5)
        let text = JSONWriter.string(from: .object(members)).replacingOccurrences(of: #""max_tasks":-5"#, with: #""max_tasks":99999999999999999999"#)
        #expect(try PollBody(json: try JSONParser.parse(text)).maxTasks == 0)
    }

    @Test("a poll answer writes task_data as given and reads back; a task without data reads as {}")
    func pollAnswer() throws {
        let answer = PollAnswerBody(
            returnTime: "2026-11-23T14:00:00+00:00",
            tasks: [.init(taskID: "de305d54-75b4-431b-adb2-eb6b9e546013", type: "wait", version: 1, dataJSON: #"{"n":12345678901234567890}"#)])
        let text = String(decoding: answer.encoded(), as: UTF8.self)
        #expect(text == #"{"return_time":"2026-11-23T14:00:00+00:00","tasks":[{"task_data":{"n":12345678901234567890},"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_type":"wait","task_version":1}]}"#)
        #expect(try PollAnswerBody(json: answer.encoded()) == answer)
        let bare = try PollAnswerBody(json: Array(#"{"tasks":[{"task_id":"a","task_type":"t","task_version":2,"task_data":null}]}"#.utf8))
        #expect(bare.tasks.first?.dataJSON == "{}" && bare.returnTime == "")
        #expect(throws: PollAnswerBody.Unreadable.self) { try PollAnswerBody(json: Array(#"{"tasks":[{"task_id":1}]}"#.utf8)) }
    }

    @Test("a capability version beyond 64 bits, below or above, is refused", arguments: [
        "-9223372036854775809", "9223372036854775808",
    ])
    func versionBeyond64Bits(version: String) throws {
        let text = JSONWriter.string(from: poll).replacingOccurrences(of: #""wait":{"version":1}"#, with: #""wait":{"version":\#(version)}"#)
        #expect(text.contains(version))
        #expect(throws: InvalidRequest.self) { try PollBody(json: try JSONParser.parse(text)) }
    }

    @Test("a result keeps its JSON; an error keeps its text")
    func outcomes() throws {
        let result = try TaskResponseBody(json: ["protocol": 1, "task_id": "de305d54-75b4-431b-adb2-eb6b9e546013", "task_data": ["z": 1, "a": [true]]])
        #expect(result.outcome == .result(json: #"{"a":[true],"z":1}"#))
        #expect(String(decoding: result.encoded(), as: UTF8.self) == #"{"protocol":1,"task_data":{"a":[true],"z":1},"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013"}"#)
        let failure = try TaskResponseBody(json: ["protocol": 1, "task_id": "de305d54-75b4-431b-adb2-eb6b9e546013", "task_error": "boom"])
        #expect(failure.outcome == .error("boom"))
        #expect(try TaskResponseBody(json: try JSONParser.parse(failure.encoded())) == failure)
    }

    @Test("schema violations carry every violation")
    func violations() {
        do {
            _ = try CreateTaskBody(json: ["task_id": "x", "task_type": 1])
            Issue.record("accepted")
        } catch {
            let locations = Set(error.violations.map(\.instanceLocation))
            #expect(locations.isSuperset(of: ["/task_id", "/task_type", ""]))
        }
    }
}
