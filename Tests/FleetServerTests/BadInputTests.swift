import FleetStore
import FleetTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

/// Every kind of bad request gets a 4xx with a short JSON error body, never a 5xx or a crash.
@Suite("Bad input")
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        let body: String
        let status: HTTPResponse.Status
        /// Part of the error message or of a violation's instance location the answer must contain.
        let mentions: String
        var testDescription: String { name }
    }

    static let goodPoll = JSONWriter.string(from: Wire.poll())

    static func poll(replacing key: String, with value: JSONValue?) -> String {
        var members = Wire.poll().objectValue!
        members[key] = value
        return JSONWriter.string(from: .object(members))
    }

    static let cases: [Case] = [
        Case(name: "empty body", path: "/tasks", body: "", status: .badRequest, mentions: "empty"),
        Case(name: "not JSON", path: "/tasks", body: "protocol=1", status: .badRequest, mentions: "not valid JSON"),
        Case(name: "truncated JSON", path: "/tasks", body: #"{"protocol": 1,"#, status: .badRequest, mentions: "not valid JSON"),
        Case(name: "JSON array", path: "/tasks", body: "[1, 2]", status: .badRequest, mentions: "expected object, got array"),
        Case(name: "JSON string", path: "/task", body: #""task""#, status: .badRequest, mentions: "expected object, got string"),
        Case(name: "missing member", path: "/tasks", body: poll(replacing: "agent_name", with: nil), status: .badRequest, mentions: "agent_name"),
        Case(name: "unknown member", path: "/tasks", body: poll(replacing: "agent_colour", with: "blue"), status: .badRequest, mentions: "/agent_colour"),
        Case(name: "wrong type", path: "/tasks", body: poll(replacing: "max_tasks", with: "2"), status: .badRequest, mentions: "/max_tasks"),
        Case(name: "fractional integer", path: "/tasks", body: poll(replacing: "max_tasks", with: 1.5), status: .badRequest, mentions: "/max_tasks"),
        Case(name: "invalid agent UUID", path: "/tasks", body: poll(replacing: "agent_id", with: "not-a-uuid"), status: .badRequest, mentions: "/agent_id"),
        Case(name: "protocol 2", path: "/tasks", body: poll(replacing: "protocol", with: 2), status: .badRequest, mentions: "protocol"),
        Case(name: "protocol 0", path: "/tasks", body: poll(replacing: "protocol", with: 0), status: .badRequest, mentions: "/protocol"),
        Case(name: "capability without version", path: "/tasks", body: poll(replacing: "agent_capabilities", with: ["wait": [:]]), status: .badRequest, mentions: "/agent_capabilities/wait"),
        Case(name: "bad location", path: "/tasks", body: poll(replacing: "agent_location", with: ["country": "FIN", "region": "18"]), status: .badRequest, mentions: "/agent_location/country"),
        Case(name: "result and error together", path: "/tasks/response",
             body: #"{"protocol":1,"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_data":{},"task_error":"x"}"#, status: .badRequest, mentions: "oneOf"),
        Case(name: "result that is not an object", path: "/tasks/response",
             body: #"{"protocol":1,"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_data":[]}"#, status: .badRequest, mentions: "/task_data"),
        Case(name: "response with protocol 2", path: "/tasks/response",
             body: #"{"protocol":2,"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_error":"x"}"#, status: .badRequest, mentions: "protocol"),
        Case(name: "response for an unknown task", path: "/tasks/response",
             body: #"{"protocol":1,"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_error":"x"}"#, status: .badRequest, mentions: "does not exist"),
        Case(name: "task without test_id", path: "/task",
             body: #"{"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_type":"wait","task_version":1}"#, status: .badRequest, mentions: "test_id"),
        Case(name: "task_data not an object", path: "/task",
             body: #"{"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","test_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_type":"wait","task_version":1,"task_data":"x"}"#,
             status: .badRequest, mentions: "/task_data"),
        Case(name: "task version that is a string", path: "/task",
             body: #"{"task_id":"de305d54-75b4-431b-adb2-eb6b9e546013","test_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_type":"wait","task_version":"1"}"#,
             status: .badRequest, mentions: "/task_version"),
        Case(name: "nesting 100,000 levels deep", path: "/task", body: String(repeating: "[", count: 100_000), status: .badRequest, mentions: "nesting"),
    ]

    @Test("a malformed request is refused with 4xx and a JSON error", arguments: cases)
    func malformedRequest(_ testCase: Case) async throws {
        try await ServerHarness.run { client, _ in
            let answer = try await client.send(.post, testCase.path, raw: testCase.body)
            #expect(answer.status == testCase.status)
            #expect(answer.headers[.contentType] == "application/json")
            #expect(answer.text.contains(testCase.mentions), "answer was \(answer.text)")
        }
    }

    @Test("a string that is not valid UTF-8 is refused with 400")
    func invalidUTF8() async throws {
        try await ServerHarness.run { client, _ in
            var body = ByteBuffer(string: #"{"task_type": ""#)
            body.writeBytes([0xC3, 0x28, 0xFF])
            body.writeString(#""}"#)
            let answer = try await client.execute(uri: "/task", method: .post, body: body)
            #expect(answer.status == .badRequest)
            #expect(answer.errorMessage?.contains("UTF-8") == true)
        }
    }

    @Test("a body over 1 MiB is refused with 413")
    func oversizedBody() async throws {
        try await ServerHarness.run { client, _ in
            let padding = String(repeating: "x", count: 1 << 20)
            let answer = try await client.send(.post, "/task", raw: #"{"task_data":{"pad":"\#(padding)"}}"#)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.errorMessage?.contains("larger than the limit") == true)
        }
    }

    @Test("unknown routes answer 404, known routes with another method 405 with Allow; HEAD answers as GET does, without the body")
    func unknownRoutesAndMethods() async throws {
        try await ServerHarness.run { client, _ in
            let missing = try await client.send(.get, "/nothing/here")
            #expect(missing.status == .notFound && missing.errorMessage != nil)
            let wrongMethod = try await client.send(.get, "/tasks")
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.headers[.allow] == "POST")
            let deleteTask = try await client.send(.delete, "/task/de305d54-75b4-431b-adb2-eb6b9e546013")
            #expect(deleteTask.status == .methodNotAllowed && deleteTask.headers[.allow] == "GET, HEAD")
            let get = try await client.send(.get, "/status")
            let head = try await client.execute(uri: "/status", method: .head)
            #expect(head.status == .ok && head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == "\(get.body.readableBytes)" && head.headers[.contentType] == get.headers[.contentType])
            let postStatus = try await client.send(.post, "/status", raw: "{}")
            #expect(postStatus.status == .methodNotAllowed && postStatus.errorMessage != nil)
        }
    }

    @Test("reading an unknown task, or a path that is not a UUID, answers 404")
    func unknownTask() async throws {
        try await ServerHarness.run { client, _ in
            let unknown = try await client.send(.get, "/task/de305d54-75b4-431b-adb2-eb6b9e546013")
            #expect(unknown.status == .notFound && unknown.errorMessage?.contains("no such task") == true)
            let malformed = try await client.send(.get, "/task/not-a-uuid")
            #expect(malformed.status == .notFound)
        }
    }

    @Test("posting a result twice, or for a task never claimed, answers 400 and keeps the first outcome")
    func repeatedOutcome() async throws {
        try await ServerHarness.run { client, _ in
            let taskID = UUID().uuidString.lowercased()
            try await client.send(.post, "/task", json: Wire.task(id: taskID, type: "unclaimable"))
            let unclaimed = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(taskID), "task_data": [:]])
            #expect(unclaimed.status == .badRequest && unclaimed.errorMessage?.contains("not been claimed") == true)

            let claimedID = UUID().uuidString.lowercased()
            try await client.send(.post, "/task", json: Wire.task(id: claimedID))
            try await client.send(.post, "/tasks", json: Wire.poll())
            let first = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(claimedID), "task_data": ["n": 1]])
            let second = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(claimedID), "task_error": "late"])
            #expect(first.status == .ok && second.status == .badRequest)
            #expect(try await client.send(.get, "/task/\(claimedID)").json()["task_result"] == ["n": 1])
        }
    }

    @Test("a database that fails answers 500 with a JSON error, and the server keeps serving")
    func databaseFailure() async throws {
        try await ServerHarness.run { client, store in
            try await store.close()
            let status = try await client.send(.get, "/status")
            #expect(status.status == .internalServerError)
            #expect(status.errorMessage?.contains("database unavailable") == true)
            let poll = try await client.send(.post, "/tasks", json: Wire.poll())
            #expect(poll.status == .internalServerError)
            let missing = try await client.send(.get, "/nowhere")
            #expect(missing.status == .notFound)
        }
    }
}
