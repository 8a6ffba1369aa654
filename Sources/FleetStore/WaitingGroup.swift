import FleetModel
import JSON

/// Waiting tasks of one type, version and list of locations (empty: anywhere).
public struct WaitingGroup: Sendable, Equatable {
    public let type: String
    public let version: Int64
    public let locations: [LocationCode]
    public let count: Int
    public let oldestCreated: Timestamp

    public init(type: String, version: Int64, locations: [LocationCode], count: Int, oldestCreated: Timestamp) {
        self.type = type
        self.version = version
        self.locations = locations
        self.count = count
        self.oldestCreated = oldestCreated
    }
}
