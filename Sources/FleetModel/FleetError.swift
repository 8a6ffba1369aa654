import Foundation
import JSON

/// Domain failures a store reports; the HTTP layer maps them to status codes.
public enum FleetError: Error, Sendable, Equatable, CustomStringConvertible {
    case taskAlreadyExists(UUID)
    case taskNotFound(UUID)
    case taskNotClaimed(UUID)
    case taskAlreadyFinished(UUID, TaskState)
    /// Only a finished task can be run again.
    case taskNotFinished(UUID, TaskState)
    /// A task with this id exists with a different body.
    case taskConflict(UUID)
    /// The result comes from an agent that no longer holds the task (it was handed to another after a lost lease).
    case taskHeldByAnotherAgent(UUID)

    public var description: String {
        switch self {
        case .taskAlreadyExists(let id): "task \(id.canonical) already exists"
        case .taskNotFound(let id): "task \(id.canonical) does not exist"
        case .taskNotClaimed(let id): "task \(id.canonical) has not been claimed by any agent"
        case .taskAlreadyFinished(let id, let state): "task \(id.canonical) is already \(state.rawValue)"
        case .taskNotFinished(let id, let state): "task \(id.canonical) is still \(state.rawValue); only a finished task can be run again"
        case .taskConflict(let id): "task \(id.canonical) already exists with a different body"
        case .taskHeldByAnotherAgent(let id): "task \(id.canonical) was handed to another agent after this one was lost"
        }
    }
}
