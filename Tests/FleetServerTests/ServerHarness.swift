import FleetServer
import FleetStore
import FleetTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import JSON

/// Drives the real router in process, on a fresh in-memory embedded store.
struct ServerHarness {
    static func run(
        settings: ServerSettings = ServerSettings(agentReturnTime: 60, agentActiveThreshold: 300),
        _ body: @escaping @Sendable (any TestClientProtocol, any TaskStore) async throws -> Void
    ) async throws {
        let store = try await StoreEngine.sqliteMemory.makeStore()
        try await store.migrate()
        let app = Application(router: buildRouter(store: store, settings: settings), logger: testLogger)
        try await app.test(.router) { client in try await body(client, store) }
        try await store.close()
    }
}

extension TestClientProtocol {
    /// Sends `body` (a JSON value, or raw text when given as a string with `raw`) and returns the answer.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, raw: String? = nil) async throws -> TestResponse {
        var buffer: ByteBuffer?
        if let json { buffer = ByteBuffer(bytes: JSONWriter.bytes(from: json)) }
        if let raw { buffer = ByteBuffer(string: raw) }
        return try await execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: buffer)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> JSONValue {
        try JSONParser.parse(Array(buffer: body))
    }

    /// The `error` member of a JSON error answer.
    var errorMessage: String? { (try? json())?["error"]?.stringValue }
}

/// Request bodies as SLAMon clients send them.
enum Wire {
    static let agentID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

    static func poll(agentID: String = agentID, capabilities: JSONValue = ["wait": ["version": 1]], maxTasks: Int64 = 2) -> JSONValue {
        [
            "protocol": 1, "agent_id": .string(agentID), "agent_name": "Python Agent 1.0",
            "agent_time": "2026-11-23T14:00:00.000000+00:00", "agent_capabilities": capabilities,
            "max_tasks": .number(.integer(maxTasks)),
        ]
    }

    static func task(id: String = UUID().uuidString.lowercased(), type: String = "wait", data: JSONValue? = ["time": 1]) -> JSONValue {
        var body: [String: JSONValue] = [
            "task_id": .string(id), "test_id": "de305d54-75b4-431b-adb2-eb6b9e546013", "task_type": .string(type),
            "task_version": 1,
        ]
        if let data { body["task_data"] = data }
        return .object(body)
    }
}
