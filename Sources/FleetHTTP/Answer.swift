import Hummingbird

/// What a route gives back: a response now, or the work that makes it later.
///
/// A held poll waits for seconds; were it answered inside the route, every frame of the chain (router, middleware,
/// controller) would stay allocated while it waits, kilobytes per poll. A `later` answer returns from the chain at
/// once with its work, which the server runs, in a task of its own, once `gate` opens: until then no task is kept
/// for the request at all. Middleware that acts on answers maps the work (`map`) instead of waiting for it.
public enum Answer: Sendable {
    /// Calls its argument once, when the work can start.
    public typealias Gate = @Sendable (@escaping @Sendable () -> Void) -> Void
    public typealias Work = @Sendable () async throws -> Response

    case now(Response)
    case later(gate: Gate, make: Work)

    /// The same answer with `transform` applied to its response (or its failure), now or when it is made.
    public func map(_ transform: @escaping @Sendable (Result<Response, any Error>) async throws -> Response) async throws -> Answer {
        switch self {
        case .now(let response):
            return .now(try await transform(.success(response)))
        case .later(let gate, let make):
            return .later(gate: gate) {
                let result: Result<Response, any Error>
                do { result = .success(try await make()) } catch { result = .failure(error) }
                return try await transform(result)
            }
        }
    }
}
