import FleetApplication
import FleetStore
import FleetTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Protocol-1 routes")
struct ProtocolOneRouteTests {
    @Test("a task goes BPMS → agent → BPMS with the original's status codes and bodies")
    func fullLifecycle() async throws {
        try await ServerHarness.run { client, _ in
            let taskID = "de305d54-75b4-431b-adb2-eb6b9e546099"
            let created = try await client.send(.post, "/task", json: Wire.task(id: taskID, data: ["time": 1.5]))
            #expect(created.status == .ok && created.body.readableBytes == 0)

            let polled = try await client.send(.post, "/tasks", json: Wire.poll())
            #expect(polled.status == .ok)
            let answer = try polled.json()
            #expect(answer["tasks"] == [["task_id": .string(taskID), "task_type": "wait", "task_version": 1, "task_data": ["time": 1.5]]])

            let posted = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(taskID), "task_data": ["time": 1.51]])
            #expect(posted.status == .ok && posted.body.readableBytes == 0)

            let read = try await client.send(.get, "/task/\(taskID)")
            #expect(read.status == .ok)
            let task = try read.json()
            #expect(task["task_id"] == .string(taskID))
            #expect(task["test_id"] == "de305d54-75b4-431b-adb2-eb6b9e546013")
            #expect(task["task_type"] == "wait" && task["task_version"] == 1)
            #expect(task["task_data"] == ["time": 1.5])
            #expect(task["task_result"] == ["time": 1.51])
            #expect(task["task_failed"] == nil && task["task_error"] == nil)
            let completed = try #require(task["task_completed"]?.stringValue)
            #expect(completed.wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?/) != nil)
        }
    }

    @Test("a failed task reads back with task_failed and task_error")
    func failedTask() async throws {
        try await ServerHarness.run { client, _ in
            let taskID = UUID().uuidString.lowercased()
            try await client.send(.post, "/task", json: Wire.task(id: taskID))
            try await client.send(.post, "/tasks", json: Wire.poll())
            let posted = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(taskID), "task_error": "timed out"])
            #expect(posted.status == .ok)
            let task = try await client.send(.get, "/task/\(taskID)").json()
            #expect(task["task_error"] == "timed out")
            #expect(task["task_failed"]?.stringValue != nil)
            #expect(task["task_completed"] == nil && task["task_result"] == nil)
        }
    }

    @Test("a poll answers return_time = now + AGENT_RETURN_TIME, ISO 8601 with zone, and {} for absent task_data")
    func pollAnswerShape() async throws {
        var settings = AFMSettings()
        settings.policy.agentReturnTime = 42
        try await ServerHarness.run(settings: settings) { client, _ in
            try await client.send(.post, "/task", json: Wire.task(data: nil))
            let before = Date()
            let answer = try await client.send(.post, "/tasks", json: Wire.poll()).json()
            let returnTime = try #require(answer["return_time"]?.stringValue)
            #expect(returnTime.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00/) != nil)
            let parsed = try #require(ISO8601DateFormatter.withFractionalSeconds.date(from: returnTime))
            #expect(abs(parsed.timeIntervalSince(before) - 42) < 2)
            #expect(answer["tasks"]?.arrayValue?.first?["task_data"] == [:])
        }
    }

    @Test("a busy agent (max_tasks 0) gets no tasks but counts as active")
    func busyAgent() async throws {
        try await ServerHarness.run { client, _ in
            try await client.send(.post, "/task", json: Wire.task())
            let answer = try await client.send(.post, "/tasks", json: Wire.poll(maxTasks: 0)).json()
            #expect(answer["tasks"] == [])
            let status = try await client.send(.get, "/status").json()
            #expect(status == ["agents": 1, "tasks_waiting": 1])
        }
    }

    @Test("trailing slashes are accepted on every route")
    func trailingSlashes() async throws {
        try await ServerHarness.run { client, _ in
            let taskID = UUID().uuidString.lowercased()
            let statuses = [
                try await client.send(.post, "/task/", json: Wire.task(id: taskID)).status,
                try await client.send(.post, "/tasks/", json: Wire.poll()).status,
                try await client.send(.post, "/tasks/response/", json: ["protocol": 1, "task_id": .string(taskID), "task_data": [:]]).status,
                try await client.send(.get, "/task/\(taskID)/").status,
                try await client.send(.get, "/status/").status,
                try await client.send(.get, "/dashboard/status/").status,
                try await client.send(.get, "/dashboard/").status,
            ]
            #expect(statuses == Array(repeating: .ok, count: 7))
        }
    }

    @Test("an upper-case task id is the same task")
    func upperCaseIDs() async throws {
        try await ServerHarness.run { client, _ in
            let taskID = "DE305D54-75B4-431B-ADB2-EB6B9E546011"
            let statuses = [
                try await client.send(.post, "/task", json: Wire.task(id: taskID)).status,
                try await client.send(.get, "/task/\(taskID)").status,
                try await client.send(.get, "/task/\(taskID.lowercased())").status,
                try await client.send(.post, "/task", json: Wire.task(id: taskID.lowercased())).status,
            ]
            #expect(statuses == [.ok, .ok, .ok, .badRequest])
        }
    }

    @Test("GET /status counts active agents and waiting tasks")
    func status() async throws {
        try await ServerHarness.run { client, _ in
            for _ in 0..<3 { try await client.send(.post, "/task", json: Wire.task()) }
            try await client.send(.post, "/tasks", json: Wire.poll(maxTasks: 1))
            try await client.send(.post, "/tasks", json: Wire.poll(agentID: UUID().uuidString, maxTasks: 0))
            let answer = try await client.send(.get, "/status")
            #expect(answer.status == .ok)
            #expect(try answer.json() == ["agents": 2, "tasks_waiting": 2])
        }
    }

    @Test("the dashboard's JSON shows unassigned tasks and agents with their tasks; the console's panels the tasks, agents and schedules")
    func dashboard() async throws {
        try await ServerHarness.run { client, _ in
            let waiting = UUID().uuidString.lowercased()
            let claimed = UUID().uuidString.lowercased()
            try await client.send(.post, "/task", json: Wire.task(id: claimed))
            try await client.send(.post, "/tasks", json: Wire.poll(maxTasks: 1))
            try await client.send(.post, "/task", json: Wire.task(id: waiting, type: "<script>"))
            let status = try await client.send(.get, "/dashboard/status").json()
            #expect(status["tasks"]?.arrayValue?.map { $0["task_id"] } == [.string(waiting)])
            let agent = try #require(status["agents"]?.arrayValue?.first)
            #expect(agent["agent_id"] == .string(Wire.agentID) && agent["agent_name"] == "Python Agent 1.0")
            #expect(agent["tasks"]?.arrayValue?.first?["task_id"] == .string(claimed))
            #expect(agent["tasks"]?.arrayValue?.first?["task_completed"] == .null)

            try await client.send(
                .put, "/v2/schedules/probe-fi",
                json: ["task_type": "probe", "task_version": 3, "cron": "*/5 * * * *", "locations": ["FI"], "paused": true])
            let page = try await client.send(.get, "/dashboard")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"<meta name="viewport""#))
            let panels = try await client.send(.get, "/dashboard/api/panels").json()["panels"]
            #expect(panels?["counts"]?["states"]?["waiting"] == 1 && panels?["counts"]?["states"]?["claimed"] == 1)
            #expect(panels?["tasks"]?["tasks"]?.arrayValue?.map { $0["task_id"] } == [.string(waiting), .string(claimed)])
            #expect(panels?["tasks"]?["tasks"]?.arrayValue?.first?["task_type"] == "<script>")
            #expect(panels?["agents"]?["agents"]?.arrayValue?.first?["agent_name"] == "Python Agent 1.0")
            #expect(panels?["agents"]?["agents"]?.arrayValue?.first?["tasks_in_hand"] == [.string(claimed)])
            #expect(panels?["schedules"]?["schedules"]?.arrayValue?.first?["name"] == "probe-fi")
            #expect(panels?["schedules"]?["schedules"]?.arrayValue?.first?["paused"] == true)
            // The waiting task's type has no active agent.
            #expect(panels?["backlog"]?["groups"]?.arrayValue?.first?["runnable"] == false)
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFractionalSeconds: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
