import FleetApplication
import FleetServer
import FleetService
import FleetStore
import FleetTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import JSON
import NIOCore
import ServiceLifecycle
import Testing

/// The application `afm` runs, built by the same function from settings, on a fresh in-memory embedded store and a
/// loopback port; requests go to it over real connections, one per request.
struct ServerHarness {
    static func run(
        settings: AFMSettings = AFMSettings(), _ body: @escaping @Sendable (LiveClient, any TaskStore) async throws -> Void
    ) async throws {
        try await runApplication(settings: settings) { client, application in try await body(client, application.store) }
    }

    /// The same, with the whole application at hand: for a test that acts through the domain beside the client.
    static func runApplication(
        settings: AFMSettings = AFMSettings(), clock: any FleetClock = SystemClock(),
        _ body: @escaping @Sendable (LiveClient, AFMApplication) async throws -> Void
    ) async throws {
        var settings = settings
        settings.database.uri = .sqliteMemory
        try await RunningServer.with(settings, clock: clock) { port, application in
            try await body(LiveClient(port: port), application)
        }
    }
}

/// The application on a loopback port, running for the duration of `body`, then shut down gracefully.
enum RunningServer {
    static func with<Result>(
        _ settings: AFMSettings, clock: any FleetClock = SystemClock(), _ body: (Int, AFMApplication) async throws -> Result
    ) async throws -> Result {
        let port = AsyncStream.makeStream(of: Int.self)
        let application = try await buildApplication(
            settings, address: .hostname("127.0.0.1", port: 0), logger: testLogger, clock: clock,
            onServerRunning: { channel in
                port.continuation.yield(channel.localAddress?.port ?? 0)
                port.continuation.finish()
            })
        let group = ServiceGroup(services: [application], logger: testLogger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = port.stream.makeAsyncIterator()
            let bound = try #require(await ports.next())
            do {
                let result = try await body(bound, application)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// With the default settings but for the body limit.
    static func with<Result>(maximumBodySize: Int = 1 << 20, _ body: (Int) async throws -> Result) async throws -> Result {
        var settings = AFMSettings()
        settings.database.uri = .sqliteMemory
        settings.http.maximumBodySize = maximumBodySize
        return try await with(settings) { port, _ in try await body(port) }
    }
}

/// An answer as the client read it.
struct LiveResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
}

/// Sends each request on a connection of its own, so that a held request never keeps another waiting behind it.
struct LiveClient: Sendable {
    let port: Int

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> LiveResponse {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120))) { client in
            let answer = try await client.execute(.init(uri, method: method, headers: headers, body: body))
            return LiveResponse(status: answer.status, headers: answer.headers, body: answer.body ?? ByteBuffer())
        }
    }

    /// Sends `body` (a JSON value, or raw text when given as a string with `raw`) and returns the answer.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, raw: String? = nil) async throws -> LiveResponse {
        var buffer: ByteBuffer?
        if let json { buffer = ByteBuffer(bytes: JSONWriter.bytes(from: json)) }
        if let raw { buffer = ByteBuffer(string: raw) }
        return try await execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: buffer)
    }
}

extension LiveResponse {
    var text: String { String(buffer: body) }

    func json() throws -> JSONValue {
        try JSONParser.parse(Array(buffer: body))
    }

    /// The message of an error answer: a problem's `detail` (checked to be a whole RFC 9457 problem whose `status`
    /// is the answer's), or protocol 1's `error` member.
    var errorMessage: String? {
        guard let body = try? json() else { return nil }
        guard headers[.contentType] == "application/problem+json" else { return body["error"]?.stringValue }
        guard body["type"] == "about:blank", body["title"]?.stringValue == status.reasonPhrase,
              body["status"]?.numberValue?.int64Value == Int64(status.code), body["error"] == nil
        else { return "not a problem of status \(status.code): \(body)" }
        return body["detail"]?.stringValue
    }
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
