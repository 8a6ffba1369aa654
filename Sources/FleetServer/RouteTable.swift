import Hummingbird

/// Registers routes and remembers which methods each path accepts, so that a known path asked with another
/// method answers 405 with an `Allow` header instead of 404.
struct RouteTable<Context: RequestContext> {
    private var methodsByPath: [String: [HTTPRequest.Method]] = [:]
    private var order: [String] = []
    let router: Router<Context>

    init(router: Router<Context>) {
        self.router = router
    }

    mutating func on(
        _ path: String, _ method: HTTPRequest.Method,
        use handler: @Sendable @escaping (Request, Context) async throws -> Response
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        if methodsByPath[path] == nil { order.append(path) }
        methodsByPath[path, default: []].append(method)
    }

    /// Adds the 405 answers; call once, after every route is registered.
    func addMethodNotAllowedRoutes() {
        let candidates: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]
        for path in order {
            let allowed = methodsByPath[path]!
            let allowHeader = allowed.map(\.rawValue).joined(separator: ", ")
            for method in candidates where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    var error = APIError(.methodNotAllowed, "method not allowed; this route accepts \(allowHeader)")
                    error.headers[.allow] = allowHeader
                    throw error
                }
            }
        }
    }
}
