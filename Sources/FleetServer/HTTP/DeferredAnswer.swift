import Hummingbird
import Synchronization

/// Lets a route answer after the middleware chain has returned: a held poll waits for seconds, and while it waits
/// every frame of the chain (router, middleware, controller) would stay allocated for it, kilobytes per poll.
///
/// `AFMServer` binds one per request. A route offers the work that makes its answer and returns `placeholder`;
/// middleware that acts on answers wraps the work on its way out instead of acting on the placeholder; the server
/// then runs the work. Where nothing is bound (a plain Hummingbird application), a route answers inline.
final class DeferredAnswer: Sendable {
    typealias Work = @Sendable () async throws -> Response

    @TaskLocal static var current: DeferredAnswer?

    /// What a route returns when it has offered its work; it is never written.
    static var placeholder: Response { Response(status: .accepted) }

    private let work = Mutex<Work?>(nil)

    /// The route's side: whether `work` was taken to be run after the chain; when not, the route runs it itself.
    static func offer(_ work: @escaping Work) -> Bool {
        guard let slot = current else { return false }
        slot.work.withLock { $0 = work }
        return true
    }

    /// Middleware's side: when the answer is deferred, replaces its work with `wrap(work)` and answers true.
    static func wrapPending(_ wrap: (@escaping Work) -> Work) -> Bool {
        guard let slot = current else { return false }
        return slot.work.withLock { pending in
            guard let work = pending else { return false }
            pending = wrap(work)
            return true
        }
    }

    /// The server's side: the work offered, if any.
    func take() -> Work? {
        work.withLock { $0.take() }
    }
}
