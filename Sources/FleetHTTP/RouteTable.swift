import Hummingbird

/// The routes of a server and the middleware around them.
///
/// A path is matched component by component, empty components skipped (`//tasks` and `/tasks/` reach `/tasks`), a
/// literal component before a `{parameter}` one. A known path asked with a method it lacks is answered 405 with an
/// `Allow` header; `HEAD` is answered by a path's `GET` route (the server sends the head only). The route is found
/// before the middleware runs, so that middleware sees the matched pattern (`RouteContext.endpointPath`) and every
/// answer, 404 and 405 included.
public struct RouteTable: Sendable {
    private var routes: [Route] = []
    private var middleware: [any Middleware] = []

    public init() {}

    /// Adds middleware around every request; the first added is outermost.
    public mutating func add(middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    public mutating func on(_ path: String, _ method: HTTPRequest.Method, use handler: @escaping Responder) {
        let components = Route.components(of: path)
        if let index = routes.firstIndex(where: { $0.components == components }) {
            routes[index].handlers.append((method, handler))
        } else {
            routes.append(Route(components: components, handlers: [(method, handler)]))
        }
    }

    /// The whole chain: routing, then the middleware, then the route. Each route's chain is put together here,
    /// once, not per request.
    public func responder() -> Responder {
        let middleware = self.middleware
        let wrapped: (@escaping Responder) -> Responder = { route in
            middleware.reversed().reduce(route) { next, middleware in
                { request, context in try await middleware.handle(request, context: context, next: next) }
            }
        }
        // Literal components first, so that `/v2/tasks/batch` wins over `/v2/tasks/{task_id}` whatever the order of
        // registration.
        let routes = routes.sorted { $0.precedes($1) }.map { route in
            var route = route
            route.handlers = route.handlers.map { ($0.method, wrapped($0.handler)) }
            let allowed = route.allowedMethods
            route.methodNotAllowed = wrapped { _, _ in
                throw HTTPError(.methodNotAllowed, headers: [.allow: allowed], message: "method not allowed; this route accepts \(allowed)")
            }
            return route
        }
        let notFound = wrapped { _, _ in throw HTTPError(.notFound) }
        return { request, context in
            var context = context
            let path = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
            guard let route = routes.first(where: { $0.matches(path) }) else { return try await notFound(request, context) }
            context.endpointPath = route.pattern
            for (component, value) in zip(route.components, path) {
                if case .parameter(let name) = component { context.parameters.set(name, value) }
            }
            let method = request.method
            let handler = route.handler(for: method) ?? (method == .head ? route.handler(for: .get) : nil) ?? route.methodNotAllowed
            return try await handler(request, context)
        }
    }
}

/// One path pattern and its handlers by method.
private struct Route: Sendable {
    enum Component: Equatable, Sendable {
        case literal(String)
        case parameter(String)
    }

    let components: [Component]
    var handlers: [(method: HTTPRequest.Method, handler: Responder)]
    /// Answers 405 for the methods not in `handlers`.
    var methodNotAllowed: Responder = { _, _ in throw HTTPError(.methodNotAllowed) }

    static func components(of path: String) -> [Component] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    var pattern: String {
        "/" + components.map { component in
            switch component {
            case .literal(let text): text
            case .parameter(let name): "{\(name)}"
            }
        }.joined(separator: "/")
    }

    func matches(_ path: [Substring]) -> Bool {
        guard path.count == components.count else { return false }
        return zip(components, path).allSatisfy { component, part in
            if case .literal(let text) = component { return part == text }
            return true
        }
    }

    /// Whether this route is tried before `other`: at the first component where one is literal and the other not.
    func precedes(_ other: Route) -> Bool {
        for (mine, theirs) in zip(components, other.components) {
            switch (mine, theirs) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }

    func handler(for method: HTTPRequest.Method) -> Responder? {
        handlers.first { $0.method == method }?.handler
    }

    /// For `Allow`: the methods registered, and `HEAD` where there is `GET`.
    var allowedMethods: String {
        var methods = handlers.map(\.method.rawValue)
        if handler(for: .get) != nil && handler(for: .head) == nil { methods.append("HEAD") }
        return methods.joined(separator: ", ")
    }
}

extension RouteTable {
    /// A route that answers at once.
    public mutating func on(
        _ path: String, _ method: HTTPRequest.Method, respond handler: @escaping @Sendable (Request, RouteContext) async throws -> Response
    ) {
        on(path, method, use: { request, context in .now(try await handler(request, context)) })
    }
}
