import Hummingbird
import Synchronization

/// Lets a route answer after the middleware chain has returned: a held poll waits for seconds, and while it waits
/// every frame of the chain (router, middleware, controller) would stay allocated for it, kilobytes per poll.
///
/// `AFMServer` binds one per request. A route offers the work that makes its answer, and may offer a gate that
/// says when that work can start without waiting; it returns `placeholder`. Middleware that acts on answers wraps
/// the work on its way out instead of acting on the placeholder. The server then runs the work, once the gate has
/// opened, in a task of its own: until then no task is kept for the request at all. Where nothing is bound (a plain
/// Hummingbird application), a route answers inline.
final class DeferredAnswer: Sendable {
    typealias Work = @Sendable () async throws -> Response
    /// Calls its argument once, when the work can start.
    typealias Gate = @Sendable (@escaping @Sendable () -> Void) -> Void

    @TaskLocal static var current: DeferredAnswer?

    /// What a route returns when it has offered its work; it is never written.
    static var placeholder: Response { Response(status: .accepted) }

    private let offered = Mutex<(work: Work, gate: Gate?)?>(nil)

    /// The route's side: whether `work` was taken to be run after the chain (once `gate` opens); when not, the route
    /// runs it itself.
    static func offer(_ work: @escaping Work, gate: Gate? = nil) -> Bool {
        guard let slot = current else { return false }
        slot.offered.withLock { $0 = (work, gate) }
        return true
    }

    /// Middleware's side: when the answer is deferred, replaces its work with `wrap(work)` and answers true.
    static func wrapPending(_ wrap: (@escaping Work) -> Work) -> Bool {
        guard let slot = current else { return false }
        return slot.offered.withLock { pending in
            guard let offered = pending else { return false }
            pending = (wrap(offered.work), offered.gate)
            return true
        }
    }

    /// The server's side: the work offered, if any, and its gate.
    func take() -> (work: Work, gate: Gate?)? {
        offered.withLock { $0.take() }
    }
}
