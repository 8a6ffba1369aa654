import JSON
import JSONSchema
import Synchronization

/// Gives a finished task its verdict (`RunVerdict`), by the counting rules:
/// - cancelled: withdrawn, no run;
/// - expired: down (`expired`);
/// - failed: down (`failed`), with the error;
/// - completed with a `success_schema`: up when the result satisfies it, else down (`unsuccessful`) with the first
///   violation; without one, down when the result says `"success": false` (the built-in checks do, with a `reason`),
///   else up.
///
/// A run's duration is the result's `duration_field` when the rule names one and it holds a number, else the time
/// from its claim to its outcome; expired runs have none.
///
/// Compiled schemas are kept by their text, a bounded number of them, so judging a schedule's runs compiles its
/// schema once.
public final class RunJudge: Sendable {
    private let compiled = Mutex<[String: JSONSchema]>([:])
    /// Distinct rules kept compiled at most; beyond it the cache starts over.
    private let capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = capacity
    }

    public func verdict(of task: TaskRecord) -> RunVerdict {
        switch task.state {
        case .waiting, .claimed, .cancelled:
            return .withdrawn
        case .expired:
            return .down(.expired, detail: "not claimed within its time to live", durationSeconds: nil)
        case .failed:
            return .down(.failed, detail: task.error ?? "failed", durationSeconds: Self.heldSeconds(task, until: task.failed))
        case .completed:
            return completedVerdict(task)
        }
    }

    private func completedVerdict(_ task: TaskRecord) -> RunVerdict {
        let result = task.resultJSON.flatMap { try? JSONParser.parse($0) } ?? .null
        let duration = task.runRule?.statedDuration(in: result) ?? Self.heldSeconds(task, until: task.completed)
        if let schemaText = task.runRule?.successSchemaJSON {
            guard let schema = schema(schemaText) else {
                return .down(.unsuccessful, detail: "the success_schema cannot be compiled", durationSeconds: duration)
            }
            if let violation = schema.validate(result, mode: .firstError).first {
                return .down(.unsuccessful, detail: "success_schema: \(violation.description)", durationSeconds: duration)
            }
            return .up(durationSeconds: duration)
        }
        if let members = result.objectValue, members["success"]?.boolValue == false {
            return .down(.unsuccessful, detail: members["reason"]?.stringValue ?? "the result says success false", durationSeconds: duration)
        }
        return .up(durationSeconds: duration)
    }

    private static func heldSeconds(_ task: TaskRecord, until end: Timestamp?) -> Double? {
        guard let claimed = task.claimed, let end, end >= claimed else { return nil }
        return Double(end.microsecondsSinceEpoch - claimed.microsecondsSinceEpoch) / 1_000_000
    }

    private func schema(_ text: String) -> JSONSchema? {
        if let known = compiled.withLock({ $0[text] }) { return known }
        guard let schema = try? JSONSchema(json: text) else { return nil }
        compiled.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[text] = schema
        }
        return schema
    }
}
