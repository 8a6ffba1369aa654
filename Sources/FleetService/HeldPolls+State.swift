import FleetModel
import HeapModule

extension HeldPolls {
    /// Everything `HeldPolls` knows, changed under its lock only; continuations are handed out to be resumed after
    /// the lock is released.
    struct State {
        struct Waiter {
            let capabilities: [Capability]
            let places: Int
            let deadline: ContinuousClock.Instant
            /// Set while it waits; nil while it claims.
            var continuation: CheckedContinuation<Ending, Never>?
            /// What happened while it was claiming, answered at its next `settle`.
            var pending: Ending?
            /// In the queues of its capabilities: a wake-up for one of them reaches it.
            var queued: Bool
            /// A wake-up reached it that it has not claimed for yet; if it stops without doing so, or its claim
            /// may have missed the task, the wake-up goes on to the next poll.
            var owesWake = false
        }

        struct DeadlineEntry: Comparable {
            let deadline: ContinuousClock.Instant
            let arrival: UInt64

            static func < (lhs: Self, rhs: Self) -> Bool {
                (lhs.deadline, lhs.arrival) < (rhs.deadline, rhs.arrival)
            }
        }

        var nextArrival: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// The wakeable polls of each capability, oldest first.
        var queues: [Capability: [UInt64]] = [:]
        /// Deadlines of polls, some of them already gone (skipped when they come up, and dropped now and then).
        var deadlines = Heap<DeadlineEntry>()
        var timer: (task: Task<Void, Never>, at: ContinuousClock.Instant)?
        var released = false

        mutating func admit(capabilities: [Capability], places: Int, deadline: ContinuousClock.Instant) -> Ticket {
            let arrival = nextArrival
            nextArrival += 1
            waiters[arrival] = Waiter(capabilities: capabilities, places: places, deadline: deadline, continuation: nil, pending: nil, queued: false)
            enqueue(arrival)
            if deadlines.count > 2 * waiters.count + 64 {
                deadlines = Heap(waiters.map { DeadlineEntry(deadline: $0.value.deadline, arrival: $0.key) })
            } else {
                deadlines.insert(DeadlineEntry(deadline: deadline, arrival: arrival))
            }
            return Ticket(arrival: arrival)
        }

        /// Waits (keeps the continuation), or answers what already happened (still to be taken by `takePending`).
        mutating func suspend(_ ticket: Ticket, _ continuation: CheckedContinuation<Ending, Never>) -> Ending? {
            guard var waiter = waiters[ticket.arrival] else { return .released }
            if let pending = waiter.pending { return pending }
            waiter.continuation = continuation
            waiters[ticket.arrival] = waiter
            return nil
        }

        /// What a poll does after `suspend`, or after being resumed: a woken poll claims again and is wakeable
        /// during that claim; an ended one answers.
        mutating func takePending(_ ticket: Ticket, resumedWith ending: Ending?) -> Ending {
            guard var waiter = waiters[ticket.arrival] else { return .released }
            let pending = waiter.pending ?? ending ?? .released
            waiter.pending = nil
            if pending == .woken {
                waiter.owesWake = false
                waiters[ticket.arrival] = waiter
                enqueue(ticket.arrival)
            } else {
                waiters[ticket.arrival] = waiter
            }
            return pending
        }

        /// Forgets a poll; answers it as it was.
        mutating func remove(_ ticket: Ticket) -> Waiter? {
            dequeue(ticket.arrival)
            return waiters.removeValue(forKey: ticket.arrival)
        }

        /// Ends a poll's wait for `ending`, unless it ended already.
        mutating func end(_ ticket: Ticket, _ ending: Ending) -> CheckedContinuation<Ending, Never>? {
            guard waiters[ticket.arrival].map({ !isEnded($0) }) ?? false else { return nil }
            dequeue(ticket.arrival)
            guard var waiter = waiters[ticket.arrival] else { return nil }
            let continuation = waiter.continuation
            waiter.continuation = nil
            waiter.pending = continuation == nil ? ending : nil
            waiters[ticket.arrival] = waiter
            return continuation
        }

        // MARK: Wake-ups

        mutating func wake(_ kind: Capability, count: Int) -> [CheckedContinuation<Ending, Never>] {
            var covered = 0
            var woken: [CheckedContinuation<Ending, Never>] = []
            while covered < count, let oldest = queues[kind]?.first {
                covered += waiters[oldest]?.places ?? 0
                if let continuation = wake(oldest) { woken.append(continuation) }
            }
            return woken
        }

        mutating func wakeOldest(among capabilities: [Capability]) -> [CheckedContinuation<Ending, Never>] {
            guard let oldest = capabilities.compactMap({ queues[$0]?.first }).min() else { return [] }
            return wake(oldest).map { [$0] } ?? []
        }

        mutating func wakeOldestOfEachKind() -> [CheckedContinuation<Ending, Never>] {
            Set(queues.values.compactMap(\.first)).compactMap { wake($0) }
        }

        /// Takes a poll out of the queues: a waiting one is handed back to be resumed, one that is claiming claims
        /// again instead of waiting.
        private mutating func wake(_ arrival: UInt64) -> CheckedContinuation<Ending, Never>? {
            dequeue(arrival)
            guard var waiter = waiters[arrival] else { return nil }
            let continuation = waiter.continuation
            waiter.continuation = nil
            waiter.owesWake = true
            if continuation == nil, waiter.pending == nil { waiter.pending = .woken }
            waiters[arrival] = waiter
            return continuation
        }

        // MARK: Deadlines and stopping

        mutating func earliestDeadline() -> ContinuousClock.Instant? {
            while let first = deadlines.min, waiters[first.arrival].map({ $0.deadline != first.deadline || isEnded($0) }) ?? true {
                deadlines.removeMin()
            }
            return deadlines.min?.deadline
        }

        mutating func endDue(at now: ContinuousClock.Instant) -> [CheckedContinuation<Ending, Never>] {
            var ended: [CheckedContinuation<Ending, Never>] = []
            while let first = deadlines.min, first.deadline <= now {
                deadlines.removeMin()
                if let continuation = end(Ticket(arrival: first.arrival), .deadline) { ended.append(continuation) }
            }
            return ended
        }

        mutating func releaseAll() -> [CheckedContinuation<Ending, Never>] {
            released = true
            queues = [:]
            var continuations: [CheckedContinuation<Ending, Never>] = []
            for (arrival, var waiter) in waiters {
                waiter.queued = false
                if let continuation = waiter.continuation {
                    continuations.append(continuation)
                    waiter.continuation = nil
                } else {
                    waiter.pending = .released
                }
                waiters[arrival] = waiter
            }
            return continuations
        }

        private func isEnded(_ waiter: Waiter) -> Bool {
            waiter.pending != nil && waiter.pending != .woken
        }

        // MARK: Queues

        private mutating func enqueue(_ arrival: UInt64) {
            guard var waiter = waiters[arrival], !waiter.queued else { return }
            waiter.queued = true
            waiters[arrival] = waiter
            for capability in waiter.capabilities {
                // Mostly the newest; a poll woken for nothing goes back to its place. Changed in place: a copy of
                // the queue would cost its length.
                if let last = queues[capability]?.last, last > arrival {
                    let index = queues[capability]!.partitioningIndex { $0 > arrival }
                    queues[capability]!.insert(arrival, at: index)
                } else {
                    queues[capability, default: []].append(arrival)
                }
            }
        }

        private mutating func dequeue(_ arrival: UInt64) {
            guard var waiter = waiters[arrival], waiter.queued else { return }
            waiter.queued = false
            waiters[arrival] = waiter
            for capability in waiter.capabilities {
                guard let index = queues[capability]?.partitioningIndex(where: { $0 >= arrival }) else { continue }
                if queues[capability]![index...].first == arrival { queues[capability]!.remove(at: index) }
                if queues[capability]!.isEmpty { queues[capability] = nil }
            }
        }
    }
}

extension Array where Element == UInt64 {
    /// The first index whose element satisfies `belongs`, in an array where every element that does follows every
    /// one that does not.
    fileprivate func partitioningIndex(where belongs: (UInt64) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
