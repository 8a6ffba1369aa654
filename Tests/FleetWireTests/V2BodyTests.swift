import FleetWire
import Foundation
import JSON
import Testing

@Suite("v2 bodies")
struct V2BodyTests {
    @Test("a task body keeps the difference between no time to live given, null (for ever) and seconds")
    func taskBodyTimeToLive() throws {
        for timeToLive in [TaskBody.TimeToLive.unstated, .forever, .seconds(30)] {
            let body = TaskBody(taskID: UUID(), type: "wait", version: 1, data: ["time": 1], timeToLive: timeToLive, locations: ["FI/18"])
            #expect(try TaskBody(json: try JSONParser.parse(body.encoded())) == body)
        }
        #expect(try TaskBody(json: ["task_type": "wait", "task_version": 1]).timeToLive == .unstated)
    }

    @Test("a task body that breaks the schema is refused with violations under its path")
    func taskBodyViolations() {
        #expect {
            try TaskBody(json: ["task_type": "", "task_version": "1", "task_id": "not-a-uuid"], path: "/tasks/2")
        } throws: { error in
            let locations = Set((error as? InvalidRequest)?.violations.map(\.instanceLocation) ?? [])
            return locations.isSuperset(of: ["/tasks/2/task_type", "/tasks/2/task_version", "/tasks/2/task_id"])
        }
    }

    @Test("a task type body reads a null result schema as none, and refuses other members")
    func taskTypeBody() throws {
        let body = TaskTypeBody(taskSchema: ["type": "object"], resultSchema: nil)
        #expect(try TaskTypeBody(json: try JSONParser.parse(body.encoded())) == body)
        #expect(try TaskTypeBody(json: ["task_schema": true, "result_schema": nil]).resultSchema == nil)
        #expect(throws: InvalidRequest.self) { try TaskTypeBody(json: ["task_schema": true, "extra": 1]) }
    }

    @Test("a task answer reads back what it writes, absent facts left out")
    func taskAnswer() throws {
        var answer = TaskAnswer(
            taskID: UUID(), testID: UUID(), type: "http", version: 1, data: ["url": "http://127.0.0.1/"], state: "completed",
            attempts: 1, created: Timestamp(iso8601: "2026-12-07T10:00:00Z")!)
        answer.agentID = UUID()
        answer.completed = Timestamp(iso8601: "2026-12-07T10:00:01.250Z")
        answer.finished = answer.completed
        answer.result = ["success": true]
        answer.locations = ["FI", "DE/BY"]
        #expect(try TaskAnswer(json: answer.json) == answer)
        #expect(answer.json["error"] == nil && answer.json["slot"] == nil)
        #expect(throws: TaskAnswer.Unreadable.self) { try TaskAnswer(json: ["task_id": "x"]) }
    }
}
