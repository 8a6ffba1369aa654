import FleetTestSupport
import Foundation
import Testing

/// Bearer tokens on a real `afm` process: a token of one kind never reaches the other kind's routes, however the
/// path is spelled, and no token appears in the log at any level.
@Suite("tokens")
struct TokenTests {
    static let bpmsToken = "bpms-secret-4f1d2a"
    static let agentToken = "agent-secret-9c7e3b"

    @Test("a BPMS token reaches no agent route through a path spelled with extra slashes",
          arguments: ["//tasks", "/tasks/", "///tasks//", "/tasks//response", "//tasks/response/"])
    func agentRoutesNeedAnAgentToken(path: String) async throws {
        let afm = try AFMProcess(environment: [
            "AFM_DB_URI": "sqlite://", "AFM_BPMS_TOKENS": Self.bpmsToken, "AFM_AGENT_TOKENS": Self.agentToken,
        ])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()

        let body = #"{"protocol": 1, "agent_id": "de305d54-75b4-431b-adb2-eb6b9e546014", "agent_name": "a", "agent_location": {"country": "FI", "region": "18"}, "agent_time": "2026-01-01T00:00:00+00:00", "agent_capabilities": {}, "max_tasks": 1}"#
        let request = "POST \(path) HTTP/1.1\r\nHost: afm\r\nAuthorization: Bearer \(Self.bpmsToken)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let answer = try await RawConnection(port: afm.port).send(Array(request.utf8)).readResponse()
        #expect(answer.status == 403, "\(path) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
    }

    @Test("no token appears in the log, even at DEBUG")
    func tokensAreNotLogged() async throws {
        let afm = try AFMProcess(environment: [
            "AFM_DB_URI": "sqlite://", "LOG_LEVEL": "DEBUG",
            "AFM_BPMS_TOKENS": Self.bpmsToken, "AFM_AGENT_TOKENS": Self.agentToken,
        ])
        try await afm.waitUntilServing()
        let request = "GET /tasks HTTP/1.1\r\nHost: afm\r\nAuthorization: Bearer \(Self.agentToken)\r\n\r\n"
        #expect(try await RawConnection(port: afm.port).send(Array(request.utf8)).readResponse().status == 403)
        let log = await afm.stopAndReadLog()
        #expect(log.contains("debug") || log.contains("DEBUG"), "the log is at DEBUG: \(log.prefix(500))")
        #expect(!log.contains(Self.bpmsToken) && !log.contains(Self.agentToken), "\(log)")
    }
}
