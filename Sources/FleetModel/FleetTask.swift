import Foundation
import JSON

/// A task as the BPMS submits it.
public struct NewTask: Sendable, Equatable {
    public let id: UUID
    public let testID: UUID
    /// False when the BPMS gave no test id and `testID` was generated: a repeat of the request then matches the task
    /// whatever its test id.
    public let testIDGiven: Bool
    public let type: String
    public let version: Int64
    /// `task_data` as serialized JSON, nil when the BPMS gave none.
    public let dataJSON: String?
    /// Seconds the task may wait to be claimed; nil waits forever.
    public var ttlSeconds: Int64?
    /// False when the BPMS did not say how long the task may wait: the fleet's default (`TASK_DEFAULT_TTL`) then
    /// applies, set by the domain when it creates the task.
    public let ttlGiven: Bool
    /// Where an agent must be to claim the task, sorted and each once; empty for anywhere.
    public let locations: [LocationCode]
    /// The registration of the task's type (its `updated` time) whose task schema the data was checked against;
    /// nil when it was checked against none. The store refuses the task when that is not the current one.
    public var schemaCheckedAgainst: Timestamp?
    /// What makes its run count as up; nil for a task without a success rule.
    public let runRule: RunRule?

    public init(
        id: UUID, testID: UUID, testIDGiven: Bool = true, type: String, version: Int64, dataJSON: String?, ttlSeconds: Int64? = nil,
        ttlGiven: Bool = true, locations: [LocationCode] = [], runRule: RunRule? = nil
    ) {
        self.runRule = runRule
        self.id = id
        self.testID = testID
        self.testIDGiven = testIDGiven
        self.type = type
        self.version = version
        self.dataJSON = dataJSON
        self.ttlSeconds = ttlSeconds
        self.ttlGiven = ttlGiven
        self.locations = Array(Set(locations)).sorted()
    }

    /// Whether `record` is this task as it was created (for idempotent creation).
    public func matches(_ record: TaskRecord) -> Bool {
        record.id == id && (!testIDGiven || record.testID == testID) && record.type == type && record.version == version
            && record.dataJSON == dataJSON && record.ttlSeconds == ttlSeconds && record.locations == locations
            && record.runRule == runRule
    }
}

/// Everything the store knows about one task.
public struct TaskRecord: Sendable, Equatable {
    public let id: UUID
    public let testID: UUID
    public let type: String
    public let version: Int64
    public let dataJSON: String?
    public let state: TaskState
    public let agentID: UUID?
    public let created: Timestamp
    public let claimed: Timestamp?
    public let completed: Timestamp?
    public let failed: Timestamp?
    /// The result object as serialized JSON, when completed.
    public let resultJSON: String?
    /// The error text, when failed (`expired` and `cancelled` for those states).
    public let error: String?
    /// Times the task was handed back after its agent was lost.
    public let attempts: Int
    public let ttlSeconds: Int64?
    /// When an unclaimed task expires; nil for none.
    public let expires: Timestamp?
    /// Position in creation order, the listing cursor.
    public let sequence: Int64
    /// Where an agent must be to claim the task; empty for anywhere.
    public let locations: [LocationCode]
    /// The schedule that made the task, and the slot it was made for.
    public let schedule: String?
    public let slot: Timestamp?
    /// The success rule it was made with (its own, or its schedule's).
    public let runRule: RunRule?
    /// How the run counted, once judged (schedule tasks and tasks with a rule, soon after they end).
    public let verdict: RunVerdict?

    public init(
        id: UUID, testID: UUID, type: String, version: Int64, dataJSON: String?, state: TaskState, agentID: UUID?,
        created: Timestamp, claimed: Timestamp?, completed: Timestamp?, failed: Timestamp?, resultJSON: String?,
        error: String?, attempts: Int = 0, ttlSeconds: Int64? = nil, expires: Timestamp? = nil, sequence: Int64 = 0,
        locations: [LocationCode] = [], schedule: String? = nil, slot: Timestamp? = nil, runRule: RunRule? = nil,
        verdict: RunVerdict? = nil
    ) {
        self.runRule = runRule
        self.verdict = verdict
        self.id = id
        self.testID = testID
        self.type = type
        self.version = version
        self.dataJSON = dataJSON
        self.state = state
        self.agentID = agentID
        self.created = created
        self.claimed = claimed
        self.completed = completed
        self.failed = failed
        self.resultJSON = resultJSON
        self.error = error
        self.attempts = attempts
        self.ttlSeconds = ttlSeconds
        self.expires = expires
        self.sequence = sequence
        self.locations = locations
        self.schedule = schedule
        self.slot = slot
    }
}

/// A task handed to an agent by a poll.
public struct ClaimedTask: Sendable, Equatable {
    public let id: UUID
    public let type: String
    public let version: Int64
    public let dataJSON: String?
    /// When the task was created: how long it waited to be claimed is measured from here.
    public let created: Timestamp?

    public init(id: UUID, type: String, version: Int64, dataJSON: String?, created: Timestamp? = nil) {
        self.id = id
        self.type = type
        self.version = version
        self.dataJSON = dataJSON
        self.created = created
    }
}

/// What an agent reports for a task it ran.
public enum TaskOutcome: Sendable, Equatable {
    /// The result object, serialized.
    case result(json: String)
    case error(String)

    public var isResult: Bool {
        if case .result = self { return true }
        return false
    }
}
