import Foundation
import JSON
import Testing

@testable import FleetAgent

@Suite("afm-agent building blocks")
struct AgentUnitTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("agent-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("return_time is read in every form AFMs write it")
    func returnTime() throws {
        let reference = Date(timeIntervalSince1970: 1_763_913_722)  // 2025-11-23T16:02:02Z
        #expect(ReturnTime.parse("2025-11-23T16:02:02Z") == reference)
        #expect(ReturnTime.parse("2025-11-23T16:02:02+00:00") == reference)
        #expect(ReturnTime.parse("2025-11-23T18:02:02+02:00") == reference)
        #expect(ReturnTime.parse("2025-11-23T15:32:02-0030") == reference)
        #expect(ReturnTime.parse("2025-11-23T16:02:02") == reference, "no zone means UTC")
        let fraction = try #require(ReturnTime.parse("2025-11-23T16:02:02.562204+00:00"))
        #expect(abs(fraction.timeIntervalSince(reference) - 0.562204) < 1e-6)
        for malformed in ["", "tomorrow", "2025-11-23", "2025-13-23T16:02:02Z", "2025-11-23T16:02:02+2"] {
            #expect(ReturnTime.parse(malformed) == nil, "\(malformed)")
        }
    }

    @Test("the poll waits until return_time, at least 1 s and at most an hour")
    func pollDelay() {
        #expect(TaskRunner.delay(until: Date().addingTimeInterval(-5), fallback: .seconds(60)) == .seconds(1))
        #expect(TaskRunner.delay(until: Date().addingTimeInterval(10_000), fallback: .seconds(60)) == .seconds(3600))
        #expect(TaskRunner.delay(until: nil, fallback: .seconds(60)) == .seconds(60))
        let delay = TaskRunner.delay(until: Date().addingTimeInterval(5), fallback: .seconds(60))
        #expect(delay > .seconds(4) && delay <= .seconds(5))
        for _ in 0..<100 {
            let jittered = TaskRunner.jittered(.seconds(60))
            #expect(jittered >= .seconds(48) && jittered <= .seconds(72))
        }
    }

    @Test("the poll body is protocol 1 with the registered handlers as capabilities")
    func pollBody() throws {
        let id = UUID()
        let request = PollIdentity(agentID: id, agentName: "probe", capabilities: ["wait": 1, "dns": 3], location: try .init(parsing: "FI/18"))
        let body = try JSONParser.parse(request.body(maxTasks: 2))
        #expect(body["protocol"] == 1)
        #expect(body["agent_id"] == .string(id.uuidString.lowercased()))
        #expect(body["agent_capabilities"] == ["wait": ["version": 1], "dns": ["version": 3]])
        #expect(body["max_tasks"] == 2)
        #expect(body["agent_location"] == ["country": "FI", "region": "18"])
        let time = try #require(body["agent_time"]?.stringValue)
        #expect(ReturnTime.parse(time) != nil, "agent_time is ISO 8601 with a zone: \(time)")
    }

    @Test("plug-in file names declare type and version")
    func pluginNames() {
        #expect(ExternalHandler.parse(fileName: "disk_free@1") ?? ("", 0) == ("disk_free", 1))
        #expect(ExternalHandler.parse(fileName: "ping@12.sh") ?? ("", 0) == ("ping", 12))
        #expect(ExternalHandler.parse(fileName: "a@b@2.py") ?? ("", 0) == ("a@b", 2))
        for name in ["README", "ping", "@1", "ping@", "ping@x", "ping@-1"] {
            #expect(ExternalHandler.parse(fileName: name) == nil, "\(name)")
        }
    }

    @Test("capabilities are exactly the registered handlers, one version per type (the highest)")
    func registry() throws {
        struct Fake: TaskHandler {
            let type: String
            let version: Int
            func run(_ data: JSONValue) async throws -> JSONValue { data }
        }
        let registry = HandlerRegistry([WaitHandler(), Fake(type: "dns", version: 1), Fake(type: "dns", version: 2)])
        #expect(registry.capabilities == ["wait": 1, "dns": 2])
        #expect(registry.handler(type: "dns", version: 1) != nil)
        #expect(registry.handler(type: "dns", version: 3) == nil)
    }

    @Test("the outbox keeps results across instances, oldest first, until removed")
    func outbox() throws {
        let state = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let outbox = try ResultOutbox(stateDirectory: state)
        let first = PendingResult.result(taskID: "b-task", data: ["time": 1])
        let second = PendingResult.error(taskID: "a-task", message: "boom")
        try outbox.store(first)
        Thread.sleep(forTimeInterval: 0.02)
        try outbox.store(second)
        let reopened = try ResultOutbox(stateDirectory: state)
        #expect(try reopened.pending() == [first, second])
        #expect(try JSONParser.parse(second.body) == ["protocol": 1, "task_id": "a-task", "task_error": "boom"])
        try reopened.remove(taskID: "b-task")
        #expect(try outbox.pending() == [second])
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox.directory).allSatisfy { !$0.hasSuffix(".partial") })
    }

    @Test("the agent id is created once and read back afterwards; a damaged id file is an error")
    func identity() throws {
        let state = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let id = try AgentIdentity.load(stateDirectory: state)
        #expect(try AgentIdentity.load(stateDirectory: state) == id)
        try "not-a-uuid".write(toFile: state + "/agent-id", atomically: true, encoding: .utf8)
        #expect(throws: AgentConfigurationError.self) { try AgentIdentity.load(stateDirectory: state) }
    }

    @Test("the wait handler sleeps the time asked and refuses a time that is not a number")
    func waitHandler() async throws {
        let result = try await WaitHandler().run(["time": 0.2])
        #expect((result["time"]?.numberValue?.doubleValue ?? 0) >= 0.2)
        await #expect(throws: HandlerFailure.self) { try await WaitHandler().run(["time": "soon"]) }
        await #expect(throws: HandlerFailure.self) { try await WaitHandler().run(["time": -1]) }
    }

    @Test("locations are COUNTRY/REGION with protocol-1 lengths")
    func location() throws {
        #expect(try AgentSettings.Location(parsing: "FI/18") == .init(parsing: "FI/18"))
        for bad in ["FIN/18", "FI/1", "FI/12345", "FI", "FI/18/x"] {
            #expect(throws: AgentConfigurationError.self, "\(bad)") { try AgentSettings.Location(parsing: bad) }
        }
    }
}
