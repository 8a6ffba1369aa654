import FleetHTTP
import Hummingbird

/// Bearer-token access control: BPMS routes need a BPMS token, agent routes an agent token, each only when tokens
/// of that kind are configured. 401 without a known token, 403 with a token of the other kind. Tokens are compared
/// in constant time and never logged.
struct AuthMiddleware: Middleware {
    let bpmsTokens: [[UInt8]]
    let agentTokens: [[UInt8]]

    init(bpmsTokens: Set<String>, agentTokens: Set<String>) {
        self.bpmsTokens = bpmsTokens.map { Array($0.utf8) }
        self.agentTokens = agentTokens.map { Array($0.utf8) }
    }

    enum Audience {
        case bpms, agent, open
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
        return .bpms
    }

    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer {
        let audience = Self.audience(of: request)
        let (required, other): ([[UInt8]], [[UInt8]]) = switch audience {
        case .open: ([], [])
        case .bpms: (bpmsTokens, agentTokens)
        case .agent: (agentTokens, bpmsTokens)
        }
        guard !required.isEmpty else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw Self.unauthorized("this route needs a bearer token")
        }
        let presented = Array(header.utf8.dropFirst(7))
        if Self.contains(required, presented) { return try await next(request, context) }
        if Self.contains(other, presented) {
            throw APIError(.forbidden, audience == .agent ? "an agent token is needed for this route" : "a BPMS token is needed for this route")
        }
        throw Self.unauthorized("the bearer token is not valid")
    }

    private static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    /// Compares against every token, each byte of each, so the time taken does not tell which bytes matched.
    static func contains(_ tokens: [[UInt8]], _ presented: [UInt8]) -> Bool {
        var found: UInt8 = 0
        for token in tokens {
            var difference = UInt8(token.count == presented.count ? 0 : 1)
            for index in 0..<max(token.count, presented.count) {
                let a = index < token.count ? token[index] : 0
                let b = index < presented.count ? presented[index] : 0
                difference |= a ^ b
            }
            found |= difference == 0 ? 1 : 0
        }
        return found == 1
    }
}
