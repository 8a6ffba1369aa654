import FleetModel
import HeapModule

extension HeldPolls {
    /// Everything `HeldPolls` knows, changed under its lock only; resumptions are handed out to be resumed after
    /// the lock is released.
    struct State {
        struct Waiter {
            let capabilities: [Capability]
            /// Where its agent is: a task for other places does not wake it.
            let location: AgentLocation?
            let places: Int
            let deadline: ContinuousClock.Instant
            /// Set while it waits; nil while it claims.
            var resumption: Resumption?
            /// What happened while it was claiming, answered at its next `settle`.
            var pending: Ending?
            /// In the queues of its capabilities: a wake-up for one of them reaches it.
            var queued: Bool
            /// A wake-up reached it that it has not claimed for yet; if it stops without doing so, or its claim
            /// may have missed the task, the wake-up goes on to the next poll.
            var owesWake = false
            /// Places of a woken poll that no arrival has spoken for yet, until its claim starts: tasks that arrive
            /// meanwhile are its, and wake nobody else.
            var spare = 0
            /// Its wait ended while it was about to claim: it claims, and answers instead of waiting again.
            var overdue = false

            /// Woken while it waited, and not yet claiming.
            var isAboutToClaim: Bool { owesWake && resumption == nil && pending == nil }
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
        /// The woken polls of each capability with spare places, oldest first.
        var spareByKind: [Capability: [UInt64]] = [:]
        /// Deadlines of polls, some of them already gone (skipped when they come up, and dropped now and then).
        var deadlines = Heap<DeadlineEntry>()
        var timer: (task: Task<Void, Never>, at: ContinuousClock.Instant)?
        var released = false

        mutating func admit(
            capabilities: [Capability], location: AgentLocation?, places: Int, deadline: ContinuousClock.Instant
        ) -> Ticket {
            let arrival = nextArrival
            nextArrival += 1
            waiters[arrival] = Waiter(
                capabilities: capabilities, location: location, places: places, deadline: deadline, resumption: nil,
                pending: nil, queued: false)
            enqueue(arrival)
            if deadlines.count > 2 * waiters.count + 64 {
                deadlines = Heap(waiters.map { DeadlineEntry(deadline: $0.value.deadline, arrival: $0.key) })
            } else {
                deadlines.insert(DeadlineEntry(deadline: deadline, arrival: arrival))
            }
            return Ticket(arrival: arrival)
        }

        /// Waits (keeps the resumption), or answers what already happened (still to be taken by `takePending`).
        mutating func suspend(_ ticket: Ticket, _ resumption: @escaping Resumption) -> Ending? {
            guard var waiter = waiters[ticket.arrival] else { return .released }
            if let pending = waiter.pending { return pending }
            if waiter.overdue { return .deadline }
            waiter.resumption = resumption
            waiters[ticket.arrival] = waiter
            return nil
        }

        /// What a poll does after `suspend`, or after being resumed: a woken poll claims again and is wakeable
        /// during that claim; an ended one answers.
        mutating func takePending(_ ticket: Ticket, resumedWith ending: Ending?) -> Ending {
            withdrawSpare(ticket.arrival)
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
            withdrawSpare(ticket.arrival)
            return waiters.removeValue(forKey: ticket.arrival)
        }

        /// Ends a poll's wait for `ending`, unless it ended already.
        mutating func end(_ ticket: Ticket, _ ending: Ending) -> Resumption? {
            guard let waiter = waiters[ticket.arrival], !isEnded(waiter) else { return nil }
            // A poll woken for tasks claims them though its wait is over by the time it starts.
            if ending == .deadline, waiter.isAboutToClaim {
                waiters[ticket.arrival]?.overdue = true
                return nil
            }
            dequeue(ticket.arrival)
            guard var waiter = waiters[ticket.arrival] else { return nil }
            let resumption = waiter.resumption
            waiter.resumption = nil
            waiter.pending = resumption == nil ? ending : nil
            waiters[ticket.arrival] = waiter
            return resumption
        }

        // MARK: Wake-ups

        /// Speaks for spare places of polls woken already, then wakes the oldest waiting polls until their places
        /// cover the rest.
        mutating func wake(_ kind: TaskKind, count: Int) -> [Resumption] {
            var uncovered = count
            while uncovered > 0, let woken = firstAdmitted(by: kind, in: spareByKind[kind.capability]) {
                uncovered -= takeSpare(of: woken, upTo: uncovered, kind: kind.capability)
            }
            var woken: [Resumption] = []
            while uncovered > 0, let oldest = firstAdmitted(by: kind, in: queues[kind.capability]) {
                if let resumption = wake(oldest) { woken.append(resumption) }
                uncovered -= takeSpare(of: oldest, upTo: uncovered, kind: kind.capability)
            }
            return woken
        }

        /// The oldest poll in `arrivals` whose agent may claim tasks of `kind`: the first, unless the tasks are
        /// for some places only.
        private func firstAdmitted(by kind: TaskKind, in arrivals: [UInt64]?) -> UInt64? {
            guard let arrivals else { return nil }
            guard !kind.locations.isEmpty else { return arrivals.first }
            return arrivals.first { waiters[$0].map { kind.admits($0.location) } ?? false }
        }

        /// Passes a wake-up on from a poll that ended: to the oldest poll of its capabilities in its place (it can
        /// claim what the ended one could), or else the oldest anywhere (tasks for anywhere may be waiting).
        mutating func wakeOldest(among capabilities: [Capability], at location: AgentLocation?) -> [Resumption] {
            let place = location.map(LocationCode.init)
            let candidates = capabilities.compactMap { queues[$0] }
            let samePlace = candidates.compactMap { arrivals in
                arrivals.first { waiters[$0].map { $0.location.map(LocationCode.init) == place } ?? false }
            }.min()
            guard let oldest = samePlace ?? candidates.compactMap(\.first).min() else { return [] }
            return wake(oldest).map { [$0] } ?? []
        }

        /// The oldest poll of each capability in each place.
        mutating func wakeOldestOfEachKind() -> [Resumption] {
            var oldest: Set<UInt64> = []
            for arrivals in queues.values {
                var places: Set<LocationCode?> = []
                for arrival in arrivals where places.insert(waiters[arrival]?.location.map(LocationCode.init)).inserted {
                    oldest.insert(arrival)
                }
            }
            return oldest.compactMap { wake($0) }
        }

        /// Takes a poll out of the queues: a waiting one is handed back to be resumed, one that is claiming claims
        /// again instead of waiting.
        private mutating func wake(_ arrival: UInt64) -> Resumption? {
            dequeue(arrival)
            guard var waiter = waiters[arrival] else { return nil }
            let resumption = waiter.resumption
            waiter.resumption = nil
            waiter.owesWake = true
            if resumption == nil, waiter.pending == nil { waiter.pending = .woken }
            let wasSpare = waiter.spare > 0
            waiter.spare = waiter.places
            waiters[arrival] = waiter
            if !wasSpare { Self.insert(arrival, capabilities: waiter.capabilities, into: &spareByKind) }
            return resumption
        }

        /// Speaks for up to `count` of a woken poll's spare places; answers how many.
        private mutating func takeSpare(of arrival: UInt64, upTo count: Int, kind: Capability) -> Int {
            guard var waiter = waiters[arrival], waiter.spare > 0 else {
                // Not so by construction; dropped all the same, so that a wake-up always ends.
                Self.remove(arrival, capabilities: [kind], from: &spareByKind)
                return 0
            }
            let taken = min(waiter.spare, count)
            waiter.spare -= taken
            waiters[arrival] = waiter
            if waiter.spare == 0 { Self.remove(arrival, capabilities: waiter.capabilities, from: &spareByKind) }
            return taken
        }

        /// A poll's claim starts, or it ends: later arrivals are no longer its.
        private mutating func withdrawSpare(_ arrival: UInt64) {
            guard var waiter = waiters[arrival], waiter.spare > 0 else { return }
            waiter.spare = 0
            waiters[arrival] = waiter
            Self.remove(arrival, capabilities: waiter.capabilities, from: &spareByKind)
        }

        // MARK: Deadlines and stopping

        mutating func earliestDeadline() -> ContinuousClock.Instant? {
            while let first = deadlines.min, waiters[first.arrival].map({ $0.deadline != first.deadline || isEnded($0) }) ?? true {
                deadlines.removeMin()
            }
            return deadlines.min?.deadline
        }

        mutating func endDue(at now: ContinuousClock.Instant) -> [Resumption] {
            var ended: [Resumption] = []
            while let first = deadlines.min, first.deadline <= now {
                deadlines.removeMin()
                if let resumption = end(Ticket(arrival: first.arrival), .deadline) { ended.append(resumption) }
            }
            return ended
        }

        mutating func releaseAll() -> [Resumption] {
            released = true
            queues = [:]
            spareByKind = [:]
            var resumptions: [Resumption] = []
            for (arrival, var waiter) in waiters {
                waiter.queued = false
                if let resumption = waiter.resumption {
                    resumptions.append(resumption)
                    waiter.resumption = nil
                } else {
                    waiter.pending = .released
                }
                waiters[arrival] = waiter
            }
            return resumptions
        }

        private func isEnded(_ waiter: Waiter) -> Bool {
            waiter.pending != nil && waiter.pending != .woken
        }

        // MARK: Queues

        private mutating func enqueue(_ arrival: UInt64) {
            guard var waiter = waiters[arrival], !waiter.queued else { return }
            waiter.queued = true
            waiters[arrival] = waiter
            Self.insert(arrival, capabilities: waiter.capabilities, into: &queues)
        }

        private mutating func dequeue(_ arrival: UInt64) {
            guard var waiter = waiters[arrival], waiter.queued else { return }
            waiter.queued = false
            waiters[arrival] = waiter
            Self.remove(arrival, capabilities: waiter.capabilities, from: &queues)
        }

        /// Puts a poll in its place, by arrival, in the lists of each of its capabilities.
        private static func insert(_ arrival: UInt64, capabilities: [Capability], into index: inout [Capability: [UInt64]]) {
            for capability in capabilities {
                // Mostly the newest; a poll woken for nothing goes back to its place. Changed in place: a copy of
                // the list would cost its length.
                if let last = index[capability]?.last, last > arrival {
                    let position = index[capability]!.partitioningIndex { $0 > arrival }
                    index[capability]!.insert(arrival, at: position)
                } else {
                    index[capability, default: []].append(arrival)
                }
            }
        }

        private static func remove(_ arrival: UInt64, capabilities: [Capability], from index: inout [Capability: [UInt64]]) {
            for capability in capabilities {
                guard let position = index[capability]?.partitioningIndex(where: { $0 >= arrival }) else { continue }
                if index[capability]![position...].first == arrival { index[capability]!.remove(at: position) }
                if index[capability]!.isEmpty { index[capability] = nil }
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
