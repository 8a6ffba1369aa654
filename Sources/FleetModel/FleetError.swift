import Foundation

/// Domain failures a store reports; the HTTP layer maps them to status codes.
public enum FleetError: Error, Sendable, Equatable, CustomStringConvertible {
    case taskAlreadyExists(UUID)
    case taskNotFound(UUID)
    case taskNotClaimed(UUID)
    case taskAlreadyFinished(UUID, TaskState)

    public var description: String {
        switch self {
        case .taskAlreadyExists(let id): "task \(id.canonical) already exists"
        case .taskNotFound(let id): "task \(id.canonical) does not exist"
        case .taskNotClaimed(let id): "task \(id.canonical) has not been claimed by any agent"
        case .taskAlreadyFinished(let id, let state): "task \(id.canonical) is already \(state.rawValue)"
        }
    }
}
