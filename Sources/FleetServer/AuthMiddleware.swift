import FleetHTTP
import Hummingbird

/// Bearer-token access control: BPMS routes need a BPMS token (a viewer token will do for GET and HEAD), agent
/// routes an agent token, each only when tokens of that kind are configured. 401 without a known token, 403 with a token of another kind. The console's routes
/// pass through to `ConsoleAccess`, which also takes a session cookie. Tokens are compared in constant time and
/// never logged.
struct AuthMiddleware: Middleware {
    let tokens: AccessTokens
    /// The tokens that may read BPMS routes, joined once here rather than on every request.
    private let readers: Set<String>

    init(tokens: AccessTokens) {
        self.tokens = tokens
        readers = tokens.bpms.union(tokens.viewer)
    }

    enum Audience {
        case bpms, agent, open, console
    }

    /// The route a request reaches, decided on the path as the router reads it: the router skips empty components
    /// (`//tasks` and `/tasks/` reach `/tasks`), so this must too, or a token of one kind could reach the other's
    /// routes through a path spelled differently.
    static func audience(of request: Request) -> Audience {
        let path = "/" + request.uri.path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        if ["/status", "/metrics"].contains(path) { return .open }
        if request.method == .post && ["/tasks", "/tasks/response"].contains(path) {
            return .agent
        }
        if path == "/dashboard" || (path.hasPrefix("/dashboard/") && path != "/dashboard/status") { return .console }
        return .bpms
    }

    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer {
        let audience = Self.audience(of: request)
        let reads = request.method == .get || request.method == .head
        let required: Set<String> = switch audience {
        case .open, .console: []
        // Viewers read what the BPMS reads; without BPMS tokens these routes are open to all.
        case .bpms: tokens.bpms.isEmpty ? [] : reads ? readers : tokens.bpms
        case .agent: tokens.agent
        }
        guard !required.isEmpty else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw Self.unauthorized("this route needs a bearer token")
        }
        let presented = Array(header.utf8.dropFirst(7))
        if AccessTokens.contains(required, presented) { return try await next(request, context) }
        guard tokens.kind(of: presented) != nil else { throw Self.unauthorized("the bearer token is not valid") }
        throw APIError(.forbidden, audience == .agent ? "an agent token is needed for this route" : "a BPMS token is needed for this route")
    }

    private static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
