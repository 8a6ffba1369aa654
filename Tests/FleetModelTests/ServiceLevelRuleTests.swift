import FleetModel
import Foundation
import JSON
import Testing

/// The counting rules that need no store: verdicts, percentiles and the k-of-n incident rule.
@Suite("Service-level rules")
struct ServiceLevelRuleTests {
    static func task(state: TaskState, result: String? = nil, error: String? = nil, rule: RunRule? = nil) -> TaskRecord {
        let claimed = Timestamp(microsecondsSinceEpoch: 1_000_000)
        return TaskRecord(
            id: UUID(), testID: UUID(), type: "http", version: 1, dataJSON: nil, state: state, agentID: nil,
            created: claimed, claimed: claimed, completed: state == .completed ? claimed.adding(seconds: 0.25) : nil,
            failed: state == .failed ? claimed.adding(seconds: 2) : nil, resultJSON: result, error: error, runRule: rule)
    }

    @Test("a result is judged by its success schema, else by its success member; failed, expired and cancelled by their state")
    func verdicts() throws {
        let judge = RunJudge()
        let rule = try RunRule(successSchema: try JSONParser.parse(#"{"properties": {"status": {"const": 200}}}"#), durationField: "took")
        #expect(judge.verdict(of: Self.task(state: .completed, result: #"{"status": 200, "took": 0.5}"#, rule: rule)) == .up(durationSeconds: 0.5))
        guard case .down(.unsuccessful, let detail, let seconds) = judge.verdict(of: Self.task(state: .completed, result: #"{"status": 500}"#, rule: rule)) else {
            Issue.record("a 500 breaks the rule")
            return
        }
        #expect(detail.contains("/status") && seconds == 0.25)
        #expect(judge.verdict(of: Self.task(state: .completed, result: #"{"success": false, "reason": "status 503 not in 2xx"}"#))
            == .down(.unsuccessful, detail: "status 503 not in 2xx", durationSeconds: 0.25))
        #expect(judge.verdict(of: Self.task(state: .completed, result: #"{"status": 500}"#)) == .up(durationSeconds: 0.25))
        #expect(judge.verdict(of: Self.task(state: .failed, error: "connection refused")) == .down(.failed, detail: "connection refused", durationSeconds: 2))
        #expect(judge.verdict(of: Self.task(state: .expired)) == .down(.expired, detail: "not claimed within its time to live", durationSeconds: nil))
        #expect(judge.verdict(of: Self.task(state: .cancelled)) == .withdrawn)
        #expect(throws: RuleError.self) { try RunRule(successSchema: .object(["type": 7]), durationField: nil) }
        #expect(try RunRule(successSchema: nil, durationField: "/phases/total")?.statedDuration(in: try JSONParser.parse(#"{"phases": {"total": 1.5}}"#)) == 1.5)
    }

    @Test("percentiles read from merged histograms stay within 4.5 % of the exact ones")
    func percentiles() {
        var exact: [Double] = []
        var parts = [DurationHistogram(), DurationHistogram(), DurationHistogram()]
        var state: UInt64 = 7
        for index in 0..<30_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let seconds = 0.005 + Double(state >> 40) / Double(1 << 24) * 2
            exact.append(seconds)
            parts[index % 3].add(seconds: seconds)
        }
        var merged = DurationHistogram()
        for part in parts { merged.merge(DurationHistogram(storedText: part.storedText, minimum: part.minimum, maximum: part.maximum)) }
        exact.sort()
        #expect(merged.total == 30_000)
        for fraction in [0.5, 0.95, 0.99] {
            let truth = exact[Int((fraction * 30_000).rounded(.up)) - 1]
            let read = merged.percentile(fraction)!
            #expect(abs(read - truth) / truth <= 0.045, "p\(Int(fraction * 100)): \(read) against \(truth)")
        }
        #expect(merged.minimum == exact.first && merged.maximum == exact.last)
    }

    @Test("k of n: at least k down opens one incident, fewer for recover_after slots resolve it at the first of them")
    func kOfN() {
        func slot(_ second: Double, down: [String]) -> DecidedSlot {
            DecidedSlot(time: Timestamp(microsecondsSinceEpoch: Int64(second * 1_000_000)), runs: 3, down: Dictionary(uniqueKeysWithValues: down.map { ($0, "failed: refused") }))
        }
        var ledger = IncidentLedger(evaluatedThrough: Timestamp(microsecondsSinceEpoch: 0))
        let rule = AlertRule(failingLocations: 2, recoverAfter: 2)
        let changes = IncidentTracker.advance(&ledger, through: [
            slot(1, down: ["FI"]), slot(2, down: ["FI", "SE"]), slot(3, down: ["FI", "SE", "DE"]), slot(4, down: []), slot(5, down: ["FI", "DE"]),
            slot(6, down: ["FI"]), slot(7, down: []), slot(8, down: ["SE"]),
        ], rule: rule)
        guard changes.count == 3, case .opened(let opened) = changes[0], case .widened(let widened) = changes[1],
            case .resolved(let resolved, let end) = changes[2]
        else {
            Issue.record("opened, widened and resolved once each: \(changes)")
            return
        }
        #expect(opened.start == slot(2, down: []).time && Set(opened.failures.keys) == ["FI", "SE"])
        #expect(Set(widened.failures.keys) == ["FI", "SE", "DE"] && resolved.id == opened.id)
        // Slot 4 was good but slot 5 failed again: the recovery counts from slot 6.
        #expect(end == slot(6, down: []).time)
        #expect(ledger.open == nil && ledger.evaluatedThrough == slot(8, down: []).time)
        // Slots already evaluated change nothing.
        #expect(IncidentTracker.advance(&ledger, through: [slot(8, down: ["FI", "SE"])], rule: rule).isEmpty)
    }
}
