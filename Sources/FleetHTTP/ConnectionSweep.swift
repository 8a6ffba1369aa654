import NIOCore
import Synchronization

/// Closes the connections of one event loop whose deadline has passed, looking at all of them every `tick`.
///
/// A timer per connection costs little to set but much to move: NIO keeps an event loop's timers in one heap, and
/// cancelling one searches the heap from the start. Every request moves a connection's deadline (idle, then the
/// request's bound, then idle again), so with 10,000 agents' connections open each poll searched thousands of
/// timers. Here a deadline is a stored value and one repeating task per event loop compares it with the clock,
/// closing a connection at most one tick late. The task runs only while the loop has connections.
final class ConnectionSweep {
    private let eventLoop: any EventLoop
    private let tick: TimeAmount
    private var guards: [ObjectIdentifier: ConnectionGuard] = [:]
    private var repeating: RepeatedTask?

    init(eventLoop: any EventLoop, tick: TimeAmount) {
        self.eventLoop = eventLoop
        self.tick = tick
    }

    func add(_ connection: ConnectionGuard) {
        eventLoop.assertInEventLoop()
        guards[ObjectIdentifier(connection)] = connection
        guard repeating == nil else { return }
        let sweep = NIOLoopBound(self, eventLoop: eventLoop)
        repeating = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in sweep.value.sweep() }
    }

    func remove(_ connection: ConnectionGuard) {
        eventLoop.assertInEventLoop()
        guards[ObjectIdentifier(connection)] = nil
        if guards.isEmpty {
            repeating?.cancel()
            repeating = nil
        }
    }

    private func sweep() {
        let now = NIODeadline.now()
        // Closing removes a connection from `guards`: collected first, closed after.
        let expired = guards.values.filter { $0.isPastDeadline(now) }
        for connection in expired { connection.deadlinePassed() }
    }
}

/// One `ConnectionSweep` per event loop of the server, made on first use from that loop.
final class ConnectionSweeps: Sendable {
    private let tick: TimeAmount
    private let sweeps = Mutex<[ObjectIdentifier: NIOLoopBound<ConnectionSweep>]>([:])

    /// A tenth of the shortest timeout, between 10 ms and 1 s: a connection is closed at most that late.
    init(timeouts: ConnectionTimeouts) {
        let shortest = min(timeouts.idle, timeouts.request)
        tick = max(.milliseconds(10), min(.seconds(1), .nanoseconds(shortest.nanoseconds / 10)))
    }

    /// The sweep of `eventLoop`; called on it.
    func sweep(on eventLoop: any EventLoop) -> ConnectionSweep {
        let key = ObjectIdentifier(eventLoop)
        return sweeps.withLock { sweeps in
            if let sweep = sweeps[key] { return sweep.value }
            let sweep = ConnectionSweep(eventLoop: eventLoop, tick: tick)
            sweeps[key] = NIOLoopBound(sweep, eventLoop: eventLoop)
            return sweep
        }
    }
}
