import FleetApplication
import FleetModel
import FleetServer
import FleetStore
import FleetTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("BPMS API v2 routes")
struct V2RouteTests {
    static let urlSchema: JSONValue = [
        "task_schema": ["type": "object", "required": ["url"], "properties": ["url": ["type": "string", "format": "uri"]]],
        "result_schema": ["type": "object", "required": ["status"], "properties": ["status": ["type": "integer"]]],
    ]

    @Test("task types: PUT registers (201) or replaces (200), GET reads, DELETE removes; invalid schemas are refused")
    func taskTypes() async throws {
        try await ServerHarness.run { client, _ in
            let created = try await client.send(.put, "/v2/task-types/url_check/1", json: Self.urlSchema)
            #expect(created.status == .created)
            #expect(try created.json()["task_schema"]?["required"] == ["url"])
            #expect(try await client.send(.put, "/v2/task-types/url_check/1", json: Self.urlSchema).status == .ok)
            let read = try await client.send(.get, "/v2/task-types/url_check/1")
            let readType = try read.json()
            #expect(read.status == .ok && readType["task_version"] == 1)
            #expect(try await client.send(.get, "/v2/task-types").json()["task_types"]?.arrayValue?.count == 1)
            let invalid = try await client.send(.put, "/v2/task-types/bad/1", json: ["task_schema": ["type": "strin"]])
            #expect(invalid.status == .badRequest && invalid.errorMessage?.contains("not a valid JSON Schema") == true)
            #expect(try await client.send(.put, "/v2/task-types/bad/x", json: Self.urlSchema).status == .notFound)
            #expect(try await client.send(.delete, "/v2/task-types/url_check/1").status == .noContent)
            #expect(try await client.send(.delete, "/v2/task-types/url_check/1").status == .notFound)
        }
    }

    @Test("task data is validated against its type's schema on v1 and v2, with every violation listed")
    func taskDataValidation() async throws {
        try await ServerHarness.run { client, _ in
            _ = try await client.send(.put, "/v2/task-types/url_check/1", json: Self.urlSchema)
            let v1 = try await client.send(.post, "/task", json: Wire.task(type: "url_check", data: ["url": 5]))
            #expect(v1.status == .badRequest)
            #expect(try v1.json()["violations"]?.arrayValue?.first?["instance"] == "/task_data/url")
            let v2 = try await client.send(.post, "/v2/tasks", json: ["task_type": "url_check", "task_version": 1, "task_data": [:]])
            #expect(v2.status == .badRequest)
            #expect(try v2.json()["violations"]?.arrayValue?.first?["keyword"] == "required")
            #expect(try await client.send(.post, "/task", json: Wire.task(type: "url_check", data: ["url": "https://x.test/"])).status == .ok)
        }
    }

    @Test("a result that violates the result schema fails the task with the reasons")
    func resultValidation() async throws {
        try await ServerHarness.run { client, _ in
            _ = try await client.send(.put, "/v2/task-types/url_check/1", json: Self.urlSchema)
            let id = UUID().uuidString.lowercased()
            _ = try await client.send(.post, "/task", json: Wire.task(id: id, type: "url_check", data: ["url": "https://x.test/"]))
            _ = try await client.send(.post, "/tasks", json: Wire.poll(capabilities: ["url_check": ["version": 1]]))
            let posted = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(id), "task_data": ["status": "ok"]])
            #expect(posted.status == .ok)
            let task = try await client.send(.get, "/v2/tasks/\(id)").json()
            #expect(task["state"] == "failed")
            #expect(task["error"]?.stringValue?.contains("/status: expected integer, got string") == true)
        }
    }

    @Test("a schema registered or deleted between two requests applies to the second at once")
    func schemaChangesApplyAtOnce() async throws {
        try await ServerHarness.run { client, _ in
            // Seen unregistered first, then registered: the next task is checked.
            #expect(try await client.send(.post, "/v2/tasks", json: ["task_type": "url_check", "task_version": 1, "task_data": [:]]).status == .created)
            _ = try await client.send(.put, "/v2/task-types/url_check/1", json: Self.urlSchema)
            #expect(try await client.send(.post, "/v2/tasks", json: ["task_type": "url_check", "task_version": 1, "task_data": [:]]).status == .badRequest)
            #expect(try await client.send(.post, "/task", json: Wire.task(type: "url_check", data: [:])).status == .badRequest)
            // A valid result against the result schema completes the task.
            let id = UUID().uuidString.lowercased()
            _ = try await client.send(.post, "/task", json: Wire.task(id: id, type: "url_check", data: ["url": "https://x.test/"]))
            let polled = try await client.send(.post, "/tasks", json: Wire.poll(capabilities: ["url_check": ["version": 1]], maxTasks: 5))
            #expect(try polled.json()["tasks"]?.arrayValue?.contains { $0["task_id"] == .string(id) } == true)
            _ = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(id), "task_data": ["status": 200]])
            #expect(try await client.send(.get, "/v2/tasks/\(id)").json()["state"] == "completed")
            // Seen registered, then deleted: anything goes again.
            #expect(try await client.send(.delete, "/v2/task-types/url_check/1").status == .noContent)
            #expect(try await client.send(.post, "/v2/tasks", json: ["task_type": "url_check", "task_version": 1, "task_data": [:]]).status == .created)
            #expect(try await client.send(.post, "/task", json: Wire.task(type: "url_check", data: [:])).status == .ok)
        }
    }

    @Test("POST /v2/tasks: 201 with a generated id, 200 for the same body again, 409 for a different body")
    func createTask() async throws {
        try await ServerHarness.run { client, _ in
            let created = try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1, "task_data": ["time": 1], "ttl_seconds": 60])
            #expect(created.status == .created)
            let task = try created.json()
            let id = try #require(task["task_id"]?.stringValue)
            #expect(task["state"] == "waiting" && task["ttl_seconds"] == 60 && task["expires"] != nil)
            var body = task.objectValue!.filter { ["task_id", "test_id", "task_type", "task_version", "task_data", "ttl_seconds"].contains($0.key) }
            #expect(try await client.send(.post, "/v2/tasks", json: .object(body)).status == .ok)
            body["task_data"] = ["time": 2]
            #expect(try await client.send(.post, "/v2/tasks", json: .object(body)).status == .conflict)
            #expect(try await client.send(.get, "/v2/tasks/\(id)").status == .ok)
            #expect(try await client.send(.get, "/v2/tasks/\(UUID().uuidString)").status == .notFound)
            let bad = try await client.send(.post, "/v2/tasks", json: ["task_type": "wait"])
            #expect(bad.status == .badRequest && bad.errorMessage?.contains("v2 task schema") == true)
        }
    }

    @Test("POST /v2/tasks and /v2/tasks/batch again without test_id: 200 and 201 with the task as first created, not 409")
    func retryWithoutTestID() async throws {
        try await ServerHarness.run { client, _ in
            let id = UUID().uuidString.lowercased()
            let body: JSONValue = ["task_id": .string(id), "task_type": "wait", "task_version": 1, "task_data": ["time": 1]]
            let first = try await client.send(.post, "/v2/tasks", json: body)
            #expect(first.status == .created)
            let again = try await client.send(.post, "/v2/tasks", json: body)
            #expect(again.status == .ok)
            #expect(try again.json()["test_id"] == first.json()["test_id"])
            let batch: JSONValue = ["tasks": [body]]
            let batchAgain = try await client.send(.post, "/v2/tasks/batch", json: batch)
            #expect(batchAgain.status == .created)
            #expect(try batchAgain.json()["tasks"]?.arrayValue?.first?["test_id"] == first.json()["test_id"])
        }
    }

    @Test("batch create checks every task before creating any")
    func batch() async throws {
        try await ServerHarness.run { client, store in
            let tasks: JSONValue = ["tasks": [["task_type": "wait", "task_version": 1], ["task_type": "wait", "task_version": 1]]]
            let created = try await client.send(.post, "/v2/tasks/batch", json: tasks)
            let createdTasks = try created.json()["tasks"]?.arrayValue
            #expect(created.status == .created && createdTasks?.count == 2)
            let mixed: JSONValue = ["tasks": [["task_type": "wait", "task_version": 1], ["task_type": 5, "task_version": 1]]]
            let refused = try await client.send(.post, "/v2/tasks/batch", json: mixed)
            #expect(refused.status == .badRequest)
            #expect(try refused.json()["violations"]?.arrayValue?.first?["instance"] == "/tasks/1/task_type")
            #expect(try await store.listTasks(TaskQuery()).tasks.count == 2)
        }
    }

    @Test("listing with filters and a cursor, and cancel with DELETE")
    func listAndCancel() async throws {
        try await ServerHarness.run { client, _ in
            var ids: [String] = []
            for _ in 0..<3 {
                ids.append(try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1]).json()["task_id"]!.stringValue!)
            }
            let first = try await client.send(.get, "/v2/tasks?limit=2&state=waiting").json()
            #expect(first["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == Array(ids.prefix(2)))
            let cursor = try #require(first["next_cursor"]?.stringValue)
            let second = try await client.send(.get, "/v2/tasks?limit=2&state=waiting&cursor=\(cursor)").json()
            #expect(second["tasks"]?.arrayValue?.compactMap { $0["task_id"]?.stringValue } == [ids[2]])
            #expect(second["next_cursor"] == .null)
            #expect(try await client.send(.get, "/v2/tasks?state=sleeping").status == .badRequest)
            #expect(try await client.send(.get, "/v2/tasks?limit=0").status == .badRequest)

            let cancelled = try await client.send(.delete, "/v2/tasks/\(ids[0])")
            let cancelledTask = try cancelled.json()
            #expect(cancelled.status == .ok && cancelledTask["state"] == "cancelled")
            #expect(try await client.send(.delete, "/v2/tasks/\(ids[0])").status == .conflict)
            let v1 = try await client.send(.get, "/task/\(ids[0])").json()
            #expect(v1["task_error"] == "cancelled" && v1["task_failed"] != nil)
        }
    }

    @Test("agents are listed with capabilities, state and the tasks they hold")
    func agents() async throws {
        try await ServerHarness.run { client, _ in
            _ = try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1])
            _ = try await client.send(.post, "/tasks", json: Wire.poll())
            let agents = try await client.send(.get, "/v2/agents").json()["agents"]?.arrayValue ?? []
            #expect(agents.count == 1)
            #expect(agents.first?["state"] == "active" && agents.first?["tasks_in_hand"]?.arrayValue?.count == 1)
            #expect(try await client.send(.get, "/v2/agents/\(Wire.agentID)").status == .ok)
            #expect(try await client.send(.get, "/v2/agents/\(UUID().uuidString)").status == .notFound)
        }
    }

    @Test("agents page by id: agent_name, capabilities as task_type and task_version, next_cursor until the last page")
    func agentPages() async throws {
        try await ServerHarness.run { client, _ in
            let ids = (0..<5).map { _ in UUID().uuidString.lowercased() }
            for id in ids { _ = try await client.send(.post, "/tasks", json: Wire.poll(agentID: id)) }
            var seen: [String] = []
            var uri = "/v2/agents?limit=2"
            var pages = 0
            while pages < 10 {
                let page = try await client.send(.get, uri).json()
                pages += 1
                for agent in page["agents"]?.arrayValue ?? [] {
                    seen.append(agent["agent_id"]?.stringValue ?? "")
                    #expect(agent["agent_name"] == "Python Agent 1.0" && agent["name"] == nil)
                    #expect(agent["capabilities"] == [["task_type": "wait", "task_version": 1]])
                }
                guard let cursor = page["next_cursor"]?.stringValue else { break }
                uri = "/v2/agents?limit=2&cursor=\(cursor)"
            }
            #expect(seen == ids.sorted() && pages == 3)
            let refused = try await client.send(.get, "/v2/agents?cursor=nope")
            #expect(refused.status == .badRequest && refused.errorMessage?.contains("cursor") == true, "\(refused.text)")
        }
    }

    @Test("a task created for places goes only to agents there, shows its locations and repeats only with them")
    func routedTask() async throws {
        try await ServerHarness.run { client, _ in
            let body: JSONValue = ["task_type": "wait", "task_version": 1, "locations": ["SE", "FI/18", "SE"]]
            let created = try await client.send(.post, "/v2/tasks", json: body)
            let task = try created.json()
            #expect(created.status == .created && task["locations"] == ["FI/18", "SE"])
            let id = task["task_id"]!.stringValue!
            var repeated = body.objectValue!
            repeated["task_id"] = .string(id)
            repeated["test_id"] = task["test_id"]
            #expect(try await client.send(.post, "/v2/tasks", json: .object(repeated)).status == .ok)
            repeated["locations"] = ["SE"]
            #expect(try await client.send(.post, "/v2/tasks", json: .object(repeated)).status == .conflict)

            func poll(at country: String, _ region: String) async throws -> [String] {
                var poll = Wire.poll().objectValue!
                poll["agent_location"] = ["country": .string(country), "region": .string(region)]
                return try await client.send(.post, "/tasks", json: .object(poll)).json()["tasks"]?.arrayValue?
                    .compactMap { $0["task_id"]?.stringValue } ?? []
            }
            #expect(try await poll(at: "FI", "19").isEmpty)
            #expect(try await poll(at: "FI", "18") == [id])

            for bad: JSONValue in [["FIN"], ["FI/1"], [], ["F,"], [1]] {
                let refused = try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1, "locations": bad])
                #expect(refused.status == .badRequest, "locations \(bad)")
            }
        }
    }

    @Test("locations list where agents are active and what they run; agents are filtered by location")
    func locations() async throws {
        try await ServerHarness.run { client, _ in
            let places: [(id: String, country: String, region: String, capabilities: JSONValue)] = [
                ("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f1", "FI", "18", ["wait": ["version": 1]]),
                ("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f2", "FI", "18", ["http": ["version": 2]]),
                ("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f3", "SE", "AB", ["wait": ["version": 1]]),
            ]
            for place in places {
                var poll = Wire.poll(agentID: place.id, capabilities: place.capabilities).objectValue!
                poll["agent_location"] = ["country": .string(place.country), "region": .string(place.region)]
                #expect(try await client.send(.post, "/tasks", json: .object(poll)).status == .ok)
            }
            _ = try await client.send(.post, "/tasks", json: Wire.poll())

            let locations = try await client.send(.get, "/v2/locations").json()["locations"]?.arrayValue ?? []
            #expect(locations.map { $0["location"] } == ["FI/18", "SE/AB"])
            #expect(locations.first?["active_agents"] == 2 && locations.first?["country"] == "FI" && locations.first?["region"] == "18")
            #expect(locations.first?["capabilities"]?.arrayValue?.compactMap { $0["task_type"]?.stringValue } == ["http", "wait"])

            func agents(_ query: String) async throws -> [String] {
                try await client.send(.get, "/v2/agents?location=\(query)").json()["agents"]?.arrayValue?
                    .compactMap { $0["agent_id"]?.stringValue }.sorted() ?? []
            }
            #expect(try await agents("FI") == [places[0].id, places[1].id])
            #expect(try await agents("SE/AB") == [places[2].id])
            #expect(try await agents("FI/19").isEmpty)
            let refused = try await client.send(.get, "/v2/agents?location=Finland")
            #expect(refused.status == .badRequest)
            #expect(refused.errorMessage?.contains("COUNTRY/REGION") == true)
        }
    }

    @Test("a result from an agent that no longer holds the task is refused with 409")
    func handedBackResult() async throws {
        try await ServerHarness.runApplication { client, application in
            let id = try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1]).json()["task_id"]!.stringValue!
            _ = try await client.send(.post, "/tasks", json: Wire.poll())
            let now = Timestamp.now()
            // Through the queue polls use, as the sweeper does: the idle-poll shortcut learns that a task came back.
            _ = try await application.fleet.shortcut.sweep(at: now.adding(seconds: 1000), agentSeenSince: now.adding(seconds: 500), maxAttempts: 3)
            let other = "1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
            _ = try await client.send(.post, "/tasks", json: Wire.poll(agentID: other))
            let late = try await client.execute(
                uri: "/tasks/response", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("AFM-Agent-ID")!: Wire.agentID],
                body: ByteBuffer(bytes: JSONWriter.bytes(from: ["protocol": 1, "task_id": .string(id), "task_data": [:]])))
            #expect(late.status == .conflict)
            let task = try await client.send(.get, "/v2/tasks/\(id)").json()
            #expect(task["state"] == "claimed" && task["agent_id"] == .string(other) && task["attempts"] == 1)
        }
    }

    @Test("with tokens configured: 401 without a token, 403 with the other kind, 200 with the right one; viewers read; /status stays open")
    func auth() async throws {
        var settings = AFMSettings()
        settings.tokens = AccessTokens(bpms: ["bpms-secret-1"], agent: ["agent-secret-1"], viewer: ["viewer-secret-1"])
        try await ServerHarness.run(settings: settings) { client, _ in
            func call(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: JSONValue? = nil) async throws -> LiveResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(bytes: JSONWriter.bytes(from: $0)) })
            }
            let missing = try await call(.get, "/v2/tasks", token: nil)
            #expect(missing.status == .unauthorized && missing.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await call(.get, "/v2/tasks", token: "agent-secret-1").status == .forbidden)
            #expect(try await call(.get, "/v2/tasks", token: "wrong-secret").status == .unauthorized)
            #expect(try await call(.get, "/v2/tasks", token: "bpms-secret-1").status == .ok)
            #expect(try await call(.post, "/tasks", token: "bpms-secret-1", json: Wire.poll()).status == .forbidden)
            #expect(try await call(.post, "/tasks", token: "agent-secret-1", json: Wire.poll()).status == .ok)
            #expect(try await call(.get, "/v2/tasks", token: "viewer-secret-1").status == .ok)
            #expect(try await call(.head, "/v2/agents", token: "viewer-secret-1").status == .ok)
            let write = try await call(.post, "/v2/tasks", token: "viewer-secret-1", json: ["task_type": "wait", "task_version": 1])
            #expect(write.status == .forbidden && write.errorMessage == "a BPMS token is needed for this route", "\(write.text)")
            #expect(try await call(.post, "/tasks", token: "viewer-secret-1", json: Wire.poll()).status == .forbidden)
            #expect(try await call(.get, "/status", token: nil).status == .ok)
        }
    }
}
