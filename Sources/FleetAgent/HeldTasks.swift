import Foundation

/// The tasks this agent has claimed and not yet put an outcome for in the outbox, one empty file per task in
/// `<state>/held/`, written durably before the task starts.
///
/// An agent that is killed or crashes with tasks in hand finds them here when it starts again. It cannot finish
/// them (their handlers' work is gone), so it reports each as failed through the outbox: every claimed task ends
/// with exactly one outcome, instead of staying claimed while the restarted agent keeps its lease alive.
public struct HeldTasks: Sendable {
    public let directory: String

    public init(stateDirectory: String) throws {
        directory = stateDirectory + "/held"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AgentConfigurationError("cannot create \(directory): \(error.localizedDescription)")
        }
    }

    private func path(for taskID: String) -> String {
        directory + "/" + taskID
    }

    /// Notes the tasks of one poll as held, with one directory sync for them all: the shorter the time between the
    /// AFM's claim and this note, the smaller the window in which a kill leaves a task to `TASK_RUN_TIMEOUT`.
    public func hold(taskIDs: [String]) throws {
        try DurableFile.createEmpty(taskIDs.map(path(for:)))
    }

    /// The task has an outcome in the outbox (or none is wanted): it is no longer held.
    public func release(taskID: String) throws {
        try DurableFile.remove(path(for: taskID))
    }

    /// The tasks an earlier run held when it ended.
    public func left() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasSuffix(".partial") }.sorted()
    }

    /// Puts a failure for every task an earlier run left unfinished into `outbox` (unless it already has an
    /// outcome there) and releases it; answers the ids reported.
    public func reportLeftTasks(into outbox: ResultOutbox) throws -> [String] {
        let waiting = Set(try outbox.pending().map(\.taskID))
        var reported: [String] = []
        for taskID in try left() {
            if !waiting.contains(taskID) {
                try outbox.store(.error(taskID: taskID, message: "the agent stopped while running this task (killed or crashed) and cannot finish it"))
                reported.append(taskID)
            }
            try release(taskID: taskID)
        }
        return reported
    }
}
