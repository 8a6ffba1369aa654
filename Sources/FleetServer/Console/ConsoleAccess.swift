import FleetHTTP
import FleetService
import FleetStore
import Hummingbird

/// Who may see the console and act from it.
///
/// Without BPMS or viewer tokens the console is open, as the BPMS routes are; its actions still need the CSRF
/// token of the page (the `afm_csrf` cookie, sent back in a header: a page of another site can do neither). With
/// tokens, a request is let in by a live session cookie (a login) or by a BPMS or viewer bearer token; a session's
/// actions send its CSRF token. A BPMS token's session may act, a viewer token's only read. Every action must also
/// come from the console's own origin (`Sec-Fetch-Site`, `Origin`), when the browser says.
struct ConsoleAccess: Sendable {
    let tokens: AccessTokens
    let sessions: ConsoleSessions

    /// What a request was let in as.
    struct Grant: Sendable {
        let role: ConsoleSession.Role
        /// What an action must send in `X-CSRF-Token`; nil for a bearer token, which a browser never sends by itself.
        let csrfToken: String?
        /// The key of the session cookie, for logout.
        let sessionKey: String?
        /// A CSRF cookie the answer must set (an open console's first page).
        let newCSRFCookie: String?

        var mayAct: Bool { role == .operator_ }
    }

    /// The grant of a request; nil when it must log in first.
    func grant(for request: Request) async throws -> Grant? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            switch tokens.kind(of: header.utf8.dropFirst(7)) {
            case .bpms: return Grant(role: .operator_, csrfToken: nil, sessionKey: nil, newCSRFCookie: nil)
            case .viewer: return Grant(role: .viewer, csrfToken: nil, sessionKey: nil, newCSRFCookie: nil)
            case .agent: throw APIError(.forbidden, "an agent token cannot open the console")
            case nil: if !tokens.consoleIsOpen { return nil }
            }
        }
        if tokens.consoleIsOpen {
            if let csrf = ConsoleCookies.value(ConsoleCookies.csrf, in: request), csrf.utf8.count == 64 {
                return Grant(role: .operator_, csrfToken: csrf, sessionKey: nil, newCSRFCookie: nil)
            }
            let fresh = ConsoleSessions.randomToken()
            return Grant(role: .operator_, csrfToken: fresh, sessionKey: nil, newCSRFCookie: fresh)
        }
        guard let key = ConsoleCookies.value(ConsoleCookies.session, in: request), let session = try await sessions.session(key: key)
        else { return nil }
        return Grant(role: session.role, csrfToken: session.csrfToken, sessionKey: key, newCSRFCookie: nil)
    }

    /// Throws unless `grant` may act and the request is the console's own: same origin, and the CSRF token sent
    /// (`X-CSRF-Token`, or `csrf_token` of a form) is the grant's.
    func checkAction(_ grant: Grant, _ request: Request, formToken: String? = nil) throws {
        try Self.checkOrigin(request)
        guard grant.mayAct else { throw APIError(.forbidden, "a viewer may not act; log in with a BPMS token") }
        try checkCSRF(grant, request, formToken: formToken)
    }

    /// Throws unless the request sends the grant's CSRF token (`X-CSRF-Token`, or `csrf_token` of a form); a bearer
    /// token's grant has none to send.
    func checkCSRF(_ grant: Grant, _ request: Request, formToken: String? = nil) throws {
        guard let expected = grant.csrfToken else { return }
        guard grant.newCSRFCookie == nil, let sent = request.headers[.init("X-CSRF-Token")!] ?? formToken,
            ConstantTime.equal(sent, expected)
        else { throw APIError(.forbidden, "the CSRF token is missing or wrong; reload the console") }
    }

    /// Refuses a request another site's page made: the browser says so in `Sec-Fetch-Site`, or names another origin.
    static func checkOrigin(_ request: Request) throws {
        if let site = request.headers[.init("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
            throw APIError(.forbidden, "the console's actions are taken from the console only")
        }
        if let origin = request.headers[.init("Origin")!], origin != "null", let host = request.head.authority,
            !(origin.hasSuffix("://" + host))
        {
            throw APIError(.forbidden, "the console's actions are taken from the console only")
        }
    }
}
