/// How one run of a schedule (or of a task with a success rule) counts in its service level.
public enum RunVerdict: Sendable, Equatable {
    case up(durationSeconds: Double?)
    case down(DownReason, detail: String, durationSeconds: Double?)
    /// A cancelled task: the BPMS withdrew it, so it is no run at all.
    case withdrawn

    public var isUp: Bool {
        if case .up = self { return true }
        return false
    }

    public var durationSeconds: Double? {
        switch self {
        case .up(let seconds), .down(_, _, let seconds): seconds
        case .withdrawn: nil
        }
    }
}

/// Why a run counts as down: the four ways the README's counting rules name.
public enum DownReason: String, Sendable, CaseIterable, Comparable {
    /// The agent reported an error (`task_error`), or it was lost or ran past its bound too often.
    case failed
    /// No agent claimed the task within its time to live.
    case expired
    /// The result did not satisfy the success rule (or said `"success": false`).
    case unsuccessful
    /// No task was made for the slot: no `afm` process came to it while it was young enough.
    case missed

    public static func < (lhs: DownReason, rhs: DownReason) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
