import FleetModel
import FleetStore
import Foundation
import JSON
import JSONSchema

/// Tasks from creation to outcome: creating them (idempotently, their data checked against their type's task
/// schema), handing them to polling agents, recording outcomes (results checked against the result schema),
/// cancelling, and reading them back.
public struct TaskService: Sendable {
    let queue: any TaskQueue
    let directory: any FleetDirectory
    let catalog: TaskTypeCatalog
    let clock: any FleetClock

    /// The domain's time, for answers that say what has expired by now.
    public var now: Timestamp { clock.now() }
    let events: any FleetEvents
    let policy: FleetPolicy
    let wakeups: TaskWakeups

    /// Tries at storing a task or a result while its type's registration keeps changing under it.
    static let attempts = 5

    /// What a poll gets: the tasks it claimed and when the agent should come back; for a poll that asked to
    /// wait, the seconds it could have been held (its wait capped by `AGENT_MAX_WAIT`), nil when it was not held.
    public struct PollAnswer: Sendable {
        public let tasks: [ClaimedTask]
        public let returnTime: Timestamp
        public var appliedWait: Int?
    }

    // MARK: Creating

    /// Creates a task, or finds it already there with the same body (an idempotent repeat). Throws
    /// `InvalidDocument` when the data does not satisfy the task schema (violations under `dataLocation`), and
    /// `FleetError.taskConflict` for a known id with another body.
    public func create(_ task: NewTask, data: JSONValue?, dataLocation: String = "/task_data") async throws -> CreatedTask {
        let task = withPolicyTTL(task)
        if let record = try await insert(task, data: data, dataLocation: dataLocation) {
            events.task(.created)
            wakeups.tasksCreated(task.kind, count: 1)
            return CreatedTask(record: record, created: true)
        }
        guard let existing = try await directory.task(id: task.id), task.matches(existing) else {
            throw FleetError.taskConflict(task.id)
        }
        return CreatedTask(record: existing, created: false)
    }

    /// One task of a batch: its data's location in the request, for the violations.
    public struct BatchItem: Sendable {
        public let task: NewTask
        public let data: JSONValue?
        public let dataLocation: String

        public init(task: NewTask, data: JSONValue?, dataLocation: String) {
            self.task = task
            self.data = data
            self.dataLocation = dataLocation
        }
    }

    /// Checks every task of a batch first (then `InvalidDocument` lists every violation and nothing is created),
    /// then creates each in order or finds it the same. A task whose id exists with a different body is not
    /// changed; the call then throws `FleetError.taskConflict` for the first such id after creating the others.
    public func createBatch(_ items: [BatchItem]) async throws -> [CreatedTask] {
        guard Set(items.map(\.task.id)).count == items.count else { throw InvalidDocument("a task id appears twice in the batch") }
        var violations: [ValidationError] = []
        var registrations: [TaskTypeCatalog.TaskTypeKey: TaskTypeRecord?] = [:]
        for item in items {
            let key = TaskTypeCatalog.TaskTypeKey(type: item.task.type, version: item.task.version)
            if registrations[key] == nil {
                registrations[key] = .some(try await catalog.current(item.task.type, version: item.task.version))
            }
            if let registration = registrations[key] ?? nil {
                violations += try catalog.taskDataViolations(item.data, against: registration).map { $0.prefixed(item.dataLocation) }
            }
        }
        guard violations.isEmpty else { throw InvalidDocument("some tasks of the batch are invalid; none was created", violations: violations) }
        var created: [CreatedTask] = []
        var conflict: UUID?
        var arrived: [TaskKind: Int] = [:]
        // Even when a later insert throws, the tasks created before it wake their polls.
        defer { for (kind, count) in arrived { wakeups.tasksCreated(kind, count: count) } }
        for item in items {
            let task = withPolicyTTL(item.task)
            if let record = try await insert(task, data: item.data, dataLocation: item.dataLocation) {
                events.task(.created)
                arrived[task.kind, default: 0] += 1
                created.append(CreatedTask(record: record, created: true))
            } else if let existing = try await directory.task(id: task.id), task.matches(existing) {
                created.append(CreatedTask(record: existing, created: false))
            } else if conflict == nil {
                conflict = task.id
            }
        }
        if let conflict { throw FleetError.taskConflict(conflict) }
        return created
    }

    /// The task with the fleet's default time to live when the BPMS did not say.
    private func withPolicyTTL(_ task: NewTask) -> NewTask {
        guard !task.ttlGiven else { return task }
        var task = task
        task.ttlSeconds = policy.taskDefaultTTL
        return task
    }

    /// Stores the task once its data satisfies the current registration of its type; nil when the id is taken.
    ///
    /// The registration remembered by the catalog is checked first (never looked up counts as none), so a type
    /// without schemas, and a type whose registration has not changed, cost one statement; the store refuses the
    /// task when the registration it was checked against is no longer the current one, and then it is looked up.
    private func insert(_ task: NewTask, data: JSONValue?, dataLocation: String) async throws -> TaskRecord? {
        var task = task
        var registration = catalog.remembered(task.type, version: task.version) ?? nil
        var lookedUp = false
        for _ in 0..<Self.attempts {
            if let checked = registration {
                let violations = try catalog.taskDataViolations(data, against: checked)
                if !violations.isEmpty {
                    // Remembered, perhaps replaced since: look again before refusing.
                    if !lookedUp {
                        lookedUp = true
                        registration = try await catalog.current(task.type, version: task.version)
                        if registration?.updated != checked.updated { continue }
                    }
                    throw InvalidDocument(
                        "task_data does not match the schema of \(task.type) version \(task.version)",
                        violations: violations.map { $0.prefixed(dataLocation) })
                }
            }
            task.schemaCheckedAgainst = registration?.updated
            if let record = try await queue.insertTask(task, at: clock.now()) { return record }
            let current = try await catalog.current(task.type, version: task.version)
            lookedUp = true
            if current?.updated == registration?.updated { return nil }
            registration = current
        }
        throw StoreUnavailable(
            operation: "task insert", cause: "the schemas of \(task.type) version \(task.version) changed during each of \(Self.attempts) tries")
    }

    // MARK: Agents' side

    /// Records the agent and claims what it can run; tells it when to come back.
    ///
    /// A poll that asks to wait `wait` seconds (capped by `appliedPollWait`) and finds nothing is held until a task
    /// it may claim arrives (then it claims again), its wait is over, `hangUp` says its agent has gone, or the
    /// server stops; it is answered empty in the last three cases.
    public func poll(_ poll: AgentPoll, wait: Int? = nil, hangUp: (any HangUp)? = nil) async throws -> PollAnswer {
        switch try await startPoll(poll, wait: wait, hangUp: hangUp) {
        case .answered(let answer): return answer
        case .held(let held): return try await held.answer()
        }
    }

    /// A poll's first claim, answered at once or held.
    public enum PollStart: Sendable {
        case answered(PollAnswer)
        /// Found nothing and may wait: `HeldPoll.answer()` waits and claims again. Split from the first claim so
        /// that the caller can let go of what it holds for the request before the wait.
        case held(HeldPoll)
    }

    /// `poll` in two steps: the first claim, then, when it found nothing and the poll may wait, the wait.
    public func startPoll(_ poll: AgentPoll, wait: Int? = nil, hangUp: (any HangUp)? = nil) async throws -> PollStart {
        let applied = wait.map { policy.appliedPollWait(requested: $0) } ?? 0
        guard applied > 0, let ticket = wakeups.held.enter(poll, until: .now + .seconds(applied)) else {
            return .answered(try await claim(poll))
        }
        let held = HeldPoll(ticket: ticket, poll: poll, appliedWait: applied, hangUp: hangUp, service: self)
        var answer = try await claim(poll)
        guard answer.tasks.isEmpty else {
            answer.appliedWait = applied
            held.leave(claimedAll: answer.tasks.count >= poll.maxTasks)
            return .answered(answer)
        }
        return .held(held)
    }

    /// A held poll's wait (going on from `firstEnding` when `whenReady` watched it): until it is woken (then it claims
    /// again, and waits again when that finds nothing), its wait is over, its agent hangs up or the server stops.
    func answer(_ held: HeldPoll, firstEnding: HeldPolls.Ending?) async throws -> PollAnswer {
        var claimedAll = false
        defer { held.leave(claimedAll: claimedAll) }
        var waited = firstEnding
        while true {
            let ending: HeldPolls.Ending
            if let ended = waited.take() {
                ending = wakeups.held.proceed(held.ticket, after: ended)
            } else {
                ending = await wakeups.held.settle(held.ticket, hangUp: held.hangUp)
            }
            guard ending == .woken else {
                return PollAnswer(tasks: [], returnTime: clock.now().adding(seconds: policy.agentReturnTime), appliedWait: held.appliedWait)
            }
            var answer = try await claim(held.poll)
            answer.appliedWait = held.appliedWait
            if !answer.tasks.isEmpty {
                claimedAll = answer.tasks.count >= held.poll.maxTasks
                return answer
            }
        }
    }

    private func claim(_ poll: AgentPoll) async throws -> PollAnswer {
        let now = clock.now()
        let tasks = try await queue.poll(poll, at: now, lastSeenResolution: policy.lastSeenResolution)
        events.claimed(batchSize: tasks.count)
        events.tasks(.claimed, count: tasks.count)
        for task in tasks {
            if let created = task.created { events.claimed(afterWaiting: created.seconds(until: now)) }
        }
        return PollAnswer(tasks: tasks, returnTime: now.adding(seconds: policy.agentReturnTime))
    }

    /// Records an agent's outcome; a result that does not satisfy its task type's result schema fails the task
    /// with the reasons instead. Answers the outcome recorded. Throws `FleetError` when the task is unknown,
    /// unclaimed or finished, or held by another agent than `agentID`.
    public func recordOutcome(_ outcome: TaskOutcome, forTask id: UUID, by agentID: UUID?) async throws -> TaskOutcome {
        var recorded = outcome
        var checkedAgainst: Timestamp?
        for _ in 0..<Self.attempts {
            if try await queue.recordOutcome(recorded, forTask: id, by: agentID, at: clock.now(), resultCheckedAgainst: checkedAgainst) {
                events.task(recorded.isResult ? .completed : .failed)
                return recorded
            }
            // A result schema applies that the result was not checked against (only results are ever held back).
            guard case .result(let json) = outcome, let task = try await directory.task(id: id) else { throw FleetError.taskNotFound(id) }
            let registration = try await catalog.current(task.type, version: task.version)
            checkedAgainst = registration?.updated
            recorded = outcome
            if let registration, let result = try? JSONParser.parse(json),
                let violation = try catalog.resultViolation(result, against: registration)
            {
                recorded = .error(violation)
            }
        }
        throw StoreUnavailable(operation: "outcome", cause: "the result schema of the task's type changed during each of \(Self.attempts) tries")
    }

    // MARK: The BPMS's side

    /// Cancels a task that has not finished. Throws `FleetError.taskNotFound` or `taskAlreadyFinished`.
    public func cancel(id: UUID) async throws -> TaskRecord {
        let task = try await queue.cancelTask(id: id, at: clock.now())
        events.task(.cancelled)
        return task
    }

    public func task(id: UUID) async throws -> TaskRecord? { try await directory.task(id: id) }

    public func list(_ query: TaskQuery) async throws -> TaskPage { try await directory.listTasks(query) }
}
