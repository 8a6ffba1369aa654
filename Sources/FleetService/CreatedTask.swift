import FleetModel

/// A task a create asked for, and whether this call created it (false: it was already there, the same).
public struct CreatedTask: Sendable, Equatable {
    public let record: TaskRecord
    public let created: Bool

    public init(record: TaskRecord, created: Bool) {
        self.record = record
        self.created = created
    }
}
