import Hummingbird

/// Answers a request: a route, or a route behind middleware.
public typealias Responder = @Sendable (Request, RouteContext) async throws -> Answer

/// Runs around every request, routed or not, outermost first in the order added to the router.
public protocol Middleware: Sendable {
    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer
}
