import FleetTestSupport
import Foundation
import JSON
import Testing

/// Tasks for places, run by real `afm-agent` processes that report where they are.
@Suite("Location routing")
struct LocationRoutingSystemTests {
    @Test("each task runs on an agent in one of its locations; a task for anywhere on either agent")
    func agentsRunTheirPlacesTasks() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("routing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let afm = try AFMProcess(environment: [
            "AFM_DB_URI": "sqlite:///" + root.appendingPathComponent("afm.sqlite").path, "LOG_LEVEL": "WARNING",
            "AGENT_RETURN_TIME": "1",
        ])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()

        func create(_ locations: [String]) async throws -> String {
            var body: [String: JSONValue] = ["task_type": "wait", "task_version": 1, "task_data": ["time": 0.1]]
            if !locations.isEmpty { body["locations"] = .array(locations.map { .string($0) }) }
            let (status, answer) = try await HTTP.post(afm.baseURL.appendingPathComponent("v2/tasks"), json: JSONWriter.string(from: .object(body)))
            guard status == 201, let id = try JSONParser.parse(answer)["task_id"]?.stringValue else { throw Failure("create answered \(status)") }
            return id
        }
        var ids: [String: [String]] = [:]
        for _ in 0..<3 {
            ids["FI", default: []].append(try await create(["FI"]))
            ids["SE/AB", default: []].append(try await create(["SE/AB"]))
            ids["either", default: []].append(try await create(["FI/18", "SE"]))
            ids["anywhere", default: []].append(try await create([]))
        }

        let agents = try ["FI/18", "SE/AB"].map { place in
            try AgentProcess(
                afm: afm.baseURL, stateDirectory: root.appendingPathComponent("state-\(place.replacingOccurrences(of: "/", with: "-"))"),
                arguments: ["--location", place, "-x", "2"])
        }
        defer { for agent in agents { agent.signal(SIGTERM) } }

        func agentID(in place: String) async throws -> String? {
            let (_, body) = try await HTTP.get(afm.baseURL.appendingPathComponent("v2/agents").appending(queryItems: [URLQueryItem(name: "location", value: place)]))
            return try JSONParser.parse(body)["agents"]?.arrayValue?.first?["agent_id"]?.stringValue
        }
        var finished: [String: JSONValue] = [:]
        let all = ids.values.flatMap { $0 }
        try await waitUntil(timeout: .seconds(60)) {
            for id in all where finished[id] == nil {
                if let (_, body) = try? await HTTP.get(afm.baseURL.appendingPathComponent("v2/tasks/\(id)")),
                    let task = try? JSONParser.parse(body), task["state"] == "completed"
                {
                    finished[id] = task
                }
            }
            return finished.count == all.count
        }
        let finland = try #require(try await agentID(in: "FI"))
        let sweden = try #require(try await agentID(in: "SE/AB"))
        #expect(finland != sweden)
        for id in ids["FI"]! { #expect(finished[id]?["agent_id"]?.stringValue == finland) }
        for id in ids["SE/AB"]! { #expect(finished[id]?["agent_id"]?.stringValue == sweden) }
        for id in ids["either"]! + ids["anywhere"]! {
            #expect([finland, sweden].contains(finished[id]?["agent_id"]?.stringValue ?? ""))
        }
        let (_, listed) = try await HTTP.get(afm.baseURL.appendingPathComponent("v2/locations"))
        #expect(try JSONParser.parse(listed)["locations"]?.arrayValue?.compactMap { $0["location"]?.stringValue } == ["FI/18", "SE/AB"])
    }
}
