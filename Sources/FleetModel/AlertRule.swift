/// When a schedule's failures become an incident: a slot in which at least `failingLocations` of its locations are
/// down opens one; `recoverAfter` consecutive slots with fewer down close it.
public struct AlertRule: Sendable, Equatable {
    public let failingLocations: Int
    public let recoverAfter: Int

    public init(failingLocations: Int, recoverAfter: Int = 1) {
        self.failingLocations = failingLocations
        self.recoverAfter = recoverAfter
    }
}
