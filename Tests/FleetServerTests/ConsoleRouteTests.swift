import FleetApplication
import FleetServer
import FleetTestSupport
import Foundation
import HTTPTypes
import JSON
import NIOCore
import Testing

/// The console's routes over real connections to the application `afm` runs: login and sessions, CSRF, what a viewer
/// may do, panels sent only when changed, and gzip.
@Suite("operator console routes")
struct ConsoleRouteTests {
    static let bpms = "bpms-token-0001"
    static let viewer = "viewer-token-0001"

    static var guarded: AFMSettings {
        var settings = AFMSettings()
        settings.tokens = AccessTokens(bpms: [bpms], viewer: [viewer])
        return settings
    }

    static func form(_ fields: String) -> (HTTPFields, ByteBuffer) {
        ([.contentType: "application/x-www-form-urlencoded"], ByteBuffer(string: fields))
    }

    /// Logs in with `token` and answers the session cookie (`name=value`) and the page's CSRF token.
    static func logIn(_ client: LiveClient, token: String) async throws -> (cookie: String, csrf: String) {
        let (headers, body) = form("token=" + token)
        let answer = try await client.execute(uri: "/dashboard/login", method: .post, headers: headers, body: body)
        #expect(answer.status == .seeOther && answer.headers[.location] == "/dashboard")
        let setCookie = try #require(answer.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains("Secure"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie])
        #expect(page.status == .ok)
        let csrf = try #require(page.text.firstMatch(of: /name="afm-csrf" content="([0-9a-f]{64})"/)?.1)
        return (cookie, String(csrf))
    }

    @Test("with tokens, the page sends a browser to log in; a BPMS token's session acts with its CSRF token, and logout ends it")
    func sessions() async throws {
        try await ServerHarness.run(settings: Self.guarded) { client, _ in
            let page = try await client.execute(uri: "/dashboard", method: .get)
            #expect(page.status == .seeOther && page.headers[.location] == "/dashboard/login")
            #expect(try await client.execute(uri: "/dashboard/api/panels", method: .get).status == .unauthorized)
            let (badHeaders, badBody) = Self.form("token=not-a-known-token")
            let refused = try await client.execute(uri: "/dashboard/login", method: .post, headers: badHeaders, body: badBody)
            #expect(refused.status == .unauthorized && refused.text.contains("not valid") && !refused.text.contains("not-a-known-token"))

            let task = try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1, "task_data": ["time": 1]])
            #expect(task.status == .unauthorized, "the BPMS API still needs its bearer token")
            let created = try await client.execute(
                uri: "/v2/tasks", method: .post, headers: [.authorization: "Bearer \(Self.bpms)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"task_type": "wait", "task_version": 1, "task_data": {"time": 1}}"#))
            let id = try #require(try created.json()["task_id"]?.stringValue)

            let (cookie, csrf) = try await Self.logIn(client, token: Self.bpms)
            #expect(try await client.execute(uri: "/dashboard/api/panels", method: .get, headers: [.cookie: cookie]).status == .ok)
            let noToken = try await client.execute(uri: "/dashboard/api/tasks/\(id)/cancel", method: .post, headers: [.cookie: cookie])
            #expect(noToken.status == .forbidden)
            let cancelled = try await client.execute(
                uri: "/dashboard/api/tasks/\(id)/cancel", method: .post, headers: [.cookie: cookie, .init("X-CSRF-Token")!: csrf])
            #expect(cancelled.status == .ok)
            #expect(try cancelled.json()["state"] == "cancelled")
            let again = try await client.execute(
                uri: "/dashboard/api/tasks/\(id)/rerun", method: .post, headers: [.cookie: cookie, .init("X-CSRF-Token")!: csrf])
            #expect(again.status == .created)
            let copy = try again.json()
            #expect(copy["state"] == "waiting" && copy["task_id"] != .string(id) && copy["task_data"] == ["time": 1])
            let stillWaiting = try #require(try again.json()["task_id"]?.stringValue)
            let notFinished = try await client.execute(
                uri: "/dashboard/api/tasks/\(stillWaiting)/rerun", method: .post, headers: [.cookie: cookie, .init("X-CSRF-Token")!: csrf])
            #expect(notFinished.status == .conflict)

            let (headers, body) = Self.form("csrf_token=\(csrf)")
            var logoutHeaders = headers
            logoutHeaders[.cookie] = cookie
            let loggedOut = try await client.execute(uri: "/dashboard/logout", method: .post, headers: logoutHeaders, body: body)
            #expect(loggedOut.status == .seeOther && loggedOut.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await client.execute(uri: "/dashboard/api/panels", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test("a viewer's page has no actions and its actions are refused; an agent token opens nothing; a foreign origin is refused")
    func viewer() async throws {
        var settings = Self.guarded
        settings.tokens.agent = ["agent-token-0001"]
        try await ServerHarness.run(settings: settings) { client, _ in
            let (cookie, csrf) = try await Self.logIn(client, token: Self.viewer)
            let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie])
            #expect(!page.text.contains("cancel-task") && !page.text.contains("rerun-task") && page.text.contains("read-only"))
            let id = UUID().uuidString.lowercased()
            let refused = try await client.execute(
                uri: "/dashboard/api/tasks/\(id)/cancel", method: .post, headers: [.cookie: cookie, .init("X-CSRF-Token")!: csrf])
            #expect(refused.status == .forbidden)
            let agent = try await client.execute(uri: "/dashboard/api/panels", method: .get, headers: [.authorization: "Bearer agent-token-0001"])
            #expect(agent.status == .forbidden)
            let (operatorCookie, operatorCSRF) = try await Self.logIn(client, token: Self.bpms)
            let foreign = try await client.execute(
                uri: "/dashboard/api/tasks/\(id)/cancel", method: .post,
                headers: [.cookie: operatorCookie, .init("X-CSRF-Token")!: operatorCSRF, .init("Sec-Fetch-Site")!: "cross-site"])
            #expect(foreign.status == .forbidden)
        }
    }

    @Test("an open console sets a CSRF cookie its actions must echo; panels come back only when their version changed")
    func openConsole() async throws {
        try await ServerHarness.run { client, _ in
            let page = try await client.execute(uri: "/dashboard", method: .get)
            let setCookie = try #require(page.headers[.setCookie])
            let cookie = String(setCookie.prefix { $0 != ";" })
            let csrf = try #require(page.text.firstMatch(of: /name="afm-csrf" content="([0-9a-f]{64})"/)?.1)
            #expect(cookie == "afm_csrf=\(csrf)")
            #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
            let id = try #require(try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1, "task_data": ["time": 1]])
                .json()["task_id"]?.stringValue)
            let forged = try await client.execute(uri: "/dashboard/api/tasks/\(id)/cancel", method: .post, headers: [.cookie: cookie])
            #expect(forged.status == .forbidden)
            let wrongCookie = try await client.execute(
                uri: "/dashboard/api/tasks/\(id)/cancel", method: .post, headers: [.init("X-CSRF-Token")!: String(csrf)])
            #expect(wrongCookie.status == .forbidden, "a token without its cookie is refused")
            let cancelled = try await client.execute(
                uri: "/dashboard/api/tasks/\(id)/cancel", method: .post, headers: [.cookie: cookie, .init("X-CSRF-Token")!: String(csrf)])
            #expect(cancelled.status == .ok)

            let first = try await client.execute(uri: "/dashboard/api/panels", method: .get).json()
            let panels = try #require(first["panels"]?.objectValue)
            #expect(Set(panels.keys) == ["counts", "backlog", "agents", "schedules", "tasks"])
            let have = panels.map { "\($0.key):\($0.value["version"]?.stringValue ?? "")" }.joined(separator: ",")
            let unchanged = try await client.execute(uri: "/dashboard/api/panels?have=\(have)", method: .get).json()
            #expect(unchanged["panels"] == [:])
            try await client.send(.post, "/v2/tasks", json: ["task_type": "wait", "task_version": 1, "task_data": ["time": 2]])
            let changed = try await client.execute(uri: "/dashboard/api/panels?have=\(have)", method: .get).json()
            #expect(Set(changed["panels"]?.objectValue?.keys ?? [:].keys) == ["counts", "backlog", "tasks"])
            #expect(changed["panels"]?["counts"]?["states"]?["waiting"] == 1)
            let filtered = try await client.execute(uri: "/dashboard/api/panels?state=cancelled", method: .get).json()
            #expect(filtered["panels"]?["tasks"]?["tasks"]?.arrayValue?.map { $0["task_id"] } == [.string(id)])
            let bad = try await client.execute(uri: "/dashboard/api/panels?agent=someone", method: .get)
            #expect(bad.status == .badRequest)
        }
    }

    @Test("answers of a kilobyte or more are gzip-compressed when asked, HEAD included; small ones and q=0 are not; Vary is set")
    func compression() async throws {
        try await ServerHarness.run { client, _ in
            let plain = try await client.execute(uri: "/dashboard/console.js", method: .get)
            #expect(plain.headers[.contentEncoding] == nil && plain.headers[.vary] == "Accept-Encoding")
            let zipped = try await client.execute(uri: "/dashboard/console.js", method: .get, headers: [.acceptEncoding: "br, gzip;q=0.8"])
            #expect(zipped.headers[.contentEncoding] == "gzip")
            let bytes = Array(buffer: zipped.body)
            // A gzip member: the magic number first, the uncompressed length (mod 2^32, little-endian) last.
            #expect(bytes.prefix(2) == [0x1f, 0x8b])
            let length = bytes.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
            #expect(length == plain.body.readableBytes && bytes.count < plain.body.readableBytes / 2)
            let head = try await client.execute(uri: "/dashboard/console.js", method: .head, headers: [.acceptEncoding: "gzip"])
            #expect(head.status == .ok && head.body.readableBytes == 0 && head.headers[.contentLength] == String(bytes.count))
            let refused = try await client.execute(uri: "/dashboard/console.js", method: .get, headers: [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
            let small = try await client.execute(uri: "/status", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(small.headers[.contentEncoding] == nil && small.status == .ok)
        }
    }
}
