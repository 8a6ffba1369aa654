import Foundation
import JSON

/// Where a schedule's incident evaluation stands: the last slot it decided, the incident open now, and the good
/// slots counted toward closing it.
public struct IncidentLedger: Sendable, Equatable {
    public var evaluatedThrough: Timestamp
    public var open: OpenIncident?
    public var goodSlots: Int
    /// The first of the good slots counted: the incident's end when they reach `recoverAfter`.
    public var firstGoodSlot: Timestamp?

    public init(evaluatedThrough: Timestamp, open: OpenIncident? = nil, goodSlots: Int = 0, firstGoodSlot: Timestamp? = nil) {
        self.evaluatedThrough = evaluatedThrough
        self.open = open
        self.goodSlots = goodSlots
        self.firstGoodSlot = firstGoodSlot
    }
}

/// An incident while it is open: since which slot, and each failing location's first failure reason ("" is the
/// location of a schedule without locations).
public struct OpenIncident: Sendable, Equatable {
    public let id: UUID
    public let start: Timestamp
    public var failures: [String: String]

    public init(id: UUID, start: Timestamp, failures: [String: String]) {
        self.id = id
        self.start = start
        self.failures = failures
    }
}

/// A slot all of whose tasks have ended and been judged: how many runs it had and which locations were down.
public struct DecidedSlot: Sendable, Equatable {
    public let time: Timestamp
    public let runs: Int
    /// Location → the reason its run was down.
    public let down: [String: String]

    public init(time: Timestamp, runs: Int, down: [String: String]) {
        self.time = time
        self.runs = runs
        self.down = down
    }
}

public enum IncidentChange: Sendable, Equatable {
    case opened(OpenIncident)
    /// More locations failed while it was open.
    case widened(OpenIncident)
    case resolved(OpenIncident, end: Timestamp)
}

/// The k-of-n rule over decided slots, in slot order: at most one incident is open at a time, because the ledger
/// holds it and every evaluation of a schedule runs under the ledger's lock.
public enum IncidentTracker {
    public static func advance(
        _ ledger: inout IncidentLedger, through slots: [DecidedSlot], rule: AlertRule, newID: () -> UUID = { UUID() }
    ) -> [IncidentChange] {
        var changes: [IncidentChange] = []
        for slot in slots where slot.time > ledger.evaluatedThrough {
            ledger.evaluatedThrough = slot.time
            // A slot whose runs were all withdrawn says nothing either way.
            guard slot.runs > 0 else { continue }
            let failing = slot.down.count >= rule.failingLocations
            if var open = ledger.open {
                if failing {
                    ledger.goodSlots = 0
                    ledger.firstGoodSlot = nil
                    let before = open.failures.count
                    open.failures.merge(slot.down) { first, _ in first }
                    ledger.open = open
                    if open.failures.count > before { changes.append(.widened(open)) }
                } else {
                    ledger.goodSlots += 1
                    if ledger.firstGoodSlot == nil { ledger.firstGoodSlot = slot.time }
                    if ledger.goodSlots >= rule.recoverAfter {
                        changes.append(.resolved(open, end: ledger.firstGoodSlot ?? slot.time))
                        ledger.open = nil
                        ledger.goodSlots = 0
                        ledger.firstGoodSlot = nil
                    }
                }
            } else if failing {
                let opened = OpenIncident(id: newID(), start: slot.time, failures: slot.down)
                ledger.open = opened
                ledger.goodSlots = 0
                ledger.firstGoodSlot = nil
                changes.append(.opened(opened))
            }
        }
        return changes
    }
}

/// An incident as stored and listed.
public struct IncidentRecord: Sendable, Equatable {
    public let id: UUID
    public let schedule: String
    /// The first failing slot.
    public let start: Timestamp
    /// The first good slot of the recovery; nil while open.
    public let end: Timestamp?
    public let failures: [String: String]
    public let opened: Timestamp
    public let resolved: Timestamp?

    public init(id: UUID, schedule: String, start: Timestamp, end: Timestamp?, failures: [String: String], opened: Timestamp, resolved: Timestamp?) {
        self.id = id
        self.schedule = schedule
        self.start = start
        self.end = end
        self.failures = failures
        self.opened = opened
        self.resolved = resolved
    }

    /// How both engines store `failures`: a JSON object.
    public static func storedFailures(_ failures: [String: String]) -> String {
        JSONWriter.string(from: .object(failures.mapValues { .string($0) }))
    }

    public static func failures(stored text: String) -> [String: String] {
        guard let members = (try? JSONParser.parse(text))?.objectValue else { return [:] }
        return members.compactMapValues(\.stringValue)
    }
}
