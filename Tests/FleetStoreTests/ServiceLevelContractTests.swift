import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import JSON
import Testing

/// The `ServiceLevelBook` and `WebhookBook` contracts: each ended run judged and counted once, roll-ups that add up,
/// one incident at a time under a k-of-n rule, and durable deliveries, on every engine.
@Suite("ServiceLevelBook contract")
struct ServiceLevelContractTests {
    static let places = ["FI", "SE"]

    static func schedule(alert: AlertRule? = AlertRule(failingLocations: 2)) throws -> ScheduleDefinition {
        ScheduleDefinition(
            name: "site", testID: UUID(), type: "url_http_status", version: 1, dataJSON: #"{"url":"http://127.0.0.1/"}"#,
            timing: .every(seconds: 1), locations: places.map { LocationCode(text: $0)! }, ttlSeconds: 5,
            runRule: try RunRule(successSchema: try JSONParser.parse(#"{"properties": {"status": {"const": 200}}, "required": ["status"]}"#), durationField: nil),
            alert: alert)
    }

    static func agent(in country: String) -> AgentPoll {
        AgentPoll(
            agentID: UUID(), name: "probe-\(country)", capabilities: [Capability(type: "url_http_status", version: 1)], maxTasks: 10,
            location: AgentLocation(country: country, region: "01", latitude: nil, longitude: nil))
    }

    /// Saves the schedule at `Sample.time(0)`; answers its first slot and an agent in each of its places.
    static func saveSite(alert: AlertRule?, in store: any TaskStore) async throws -> (first: Timestamp, agents: [String: AgentPoll]) {
        let schedule = try Self.schedule(alert: alert)
        let first = schedule.timetable.firstSlot(atOrAfter: Sample.time(0))!
        _ = try await store.saveSchedule(schedule, firstSlot: first, at: Sample.time(0))
        return (first, Dictionary(uniqueKeysWithValues: places.map { ($0, agent(in: $0)) }))
    }

    /// Makes the slot at `offset` seconds after `first` and answers it with `statuses` (location → HTTP status).
    static func run(slotAt first: Timestamp, offset: Double, statuses: [String: Int], agents: [String: AgentPoll], in store: any TaskStore) async throws {
        let slot = first.adding(seconds: offset)
        _ = try await store.createDueSlots(at: slot.adding(seconds: 0.01), limits: SlotPassLimits(schedules: 10, tasks: 100, catchUp: 1))
        for (place, status) in statuses {
            let claimed = try await store.poll(agents[place]!, at: slot.adding(seconds: 0.02))
            #expect(claimed.count == 1, "one task for \(place) at slot +\(offset)")
            for task in claimed {
                try await store.recordOutcome(.result(json: #"{"status":\#(status)}"#), forTask: task.id, at: slot.adding(seconds: 0.25))
            }
        }
    }

    @Test("ended runs are judged once and counted per minute and per hour; two of two down opens one incident, a good slot resolves it, each queued for the webhook",
          arguments: StoreEngine.allCases)
    func incidentLifecycle(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            _ = try await store.saveWebhook(
                Webhook(name: "pager", url: "http://127.0.0.1:9/", secret: "0123456789abcdef", events: ["incident.opened", "incident.resolved"],
                        created: Sample.time(0), updated: Sample.time(0)), at: Sample.time(0))
            let (first, agents) = try await Self.saveSite(alert: AlertRule(failingLocations: 2), in: store)
            let judge = RunJudge()
            try await Self.run(slotAt: first, offset: 0, statuses: ["FI": 200, "SE": 200], agents: agents, in: store)
            try await Self.run(slotAt: first, offset: 1, statuses: ["FI": 500, "SE": 500], agents: agents, in: store)
            // One location down is fewer than two: the incident stays open only while both are down.
            try await Self.run(slotAt: first, offset: 2, statuses: ["FI": 500, "SE": 503], agents: agents, in: store)
            try await Self.run(slotAt: first, offset: 3, statuses: ["FI": 500, "SE": 200], agents: agents, in: store)
            let pass = try await store.countRuns(at: first.adding(seconds: 4), limit: 100, judge: judge)
            #expect(pass.judged == 8)
            #expect(try await store.countRuns(at: first.adding(seconds: 4), limit: 100, judge: judge).judged == 0)
            let incidents = try await store.incidents(ofSchedule: "site", limit: 10)
            #expect(incidents.count == 1)
            #expect(incidents.first?.start == first.adding(seconds: 1))
            #expect(incidents.first?.end == first.adding(seconds: 3))
            #expect(Set(incidents.first?.failures.keys ?? [:].keys) == ["FI", "SE"])
            #expect(incidents.first?.failures["FI"]?.contains("unsuccessful") == true)
            var tally = RunTally()
            for row in try await store.rollups(ofSchedule: "site", level: .minute, from: first.adding(seconds: -3600), to: first.adding(seconds: 3600)) {
                tally.merge(row.tally)
            }
            #expect(tally.runs == 8 && tally.up == 3 && tally.down[.unsuccessful] == 5)
            #expect(tally.durations.total == 8)
            var hourly = RunTally()
            for row in try await store.rollups(ofSchedule: "site", level: .hour, from: first.adding(seconds: -7200), to: first.adding(seconds: 7200)) {
                hourly.merge(row.tally)
            }
            #expect(hourly == tally)
            // The task answers carry their verdicts.
            let history = try await store.slotHistory(ofSchedule: "site", from: first, to: first.adding(seconds: 4), limit: 100)
            #expect(history.tasks.filter { $0.verdict?.isUp == true }.count == 3)
            // Both events were queued, once each, and a claim leases them.
            let due = try await store.claimDeliveries(at: first.adding(seconds: 5), leaseUntil: first.adding(seconds: 35), limit: 10)
            #expect(due.map(\.event).sorted() == ["incident.opened", "incident.resolved"])
            #expect(try await store.claimDeliveries(at: first.adding(seconds: 6), leaseUntil: first.adding(seconds: 36), limit: 10).isEmpty)
            for delivery in due {
                try await store.recordAttempt(
                    DeliveryAttempt(at: first.adding(seconds: 6), status: 500, error: "status 500", seconds: 0.01), of: delivery.id,
                    retryAt: first.adding(seconds: 7))
            }
            let again = try await store.claimDeliveries(at: first.adding(seconds: 7), leaseUntil: first.adding(seconds: 37), limit: 10)
            #expect(again.map(\.attempt) == [2, 2])
            for delivery in again {
                try await store.recordAttempt(DeliveryAttempt(at: first.adding(seconds: 8), status: 204, error: nil, seconds: 0.01), of: delivery.id, retryAt: nil)
            }
            let listed = try await store.deliveries(ofWebhook: "pager", before: nil, limit: 10)
            #expect(listed.count == 2 && listed.allSatisfy { $0.state == .delivered && $0.attempts.map(\.status) == [500, 204] })
            #expect(try await store.claimDeliveries(at: first.adding(seconds: 100), leaseUntil: first.adding(seconds: 130), limit: 10).isEmpty)
        }
    }

    @Test("missed slots count as down runs in every location; expired and failed runs are down with their reasons; cancelled ones are no runs",
          arguments: StoreEngine.allCases)
    func downReasons(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let (first, agents) = try await Self.saveSite(alert: nil, in: store)
            // Slot 0: FI fails, SE is cancelled.
            _ = try await store.createDueSlots(at: first.adding(seconds: 0.01), limits: SlotPassLimits(schedules: 10, tasks: 100, catchUp: 1))
            let fi = try await store.poll(agents["FI"]!, at: first.adding(seconds: 0.02))
            try await store.recordOutcome(.error("connection refused"), forTask: fi[0].id, at: first.adding(seconds: 0.5))
            let se = try await store.slotHistory(ofSchedule: "site", from: first, to: first.adding(seconds: 1), limit: 10).tasks.first { $0.locations.first?.description == "SE" }!
            _ = try await store.cancelTask(id: se.id, at: first.adding(seconds: 0.5))
            // Slots 1 to 20 pass with no process to make them: with a catch-up of one, 19 are missed; slot 20's tasks expire.
            _ = try await store.createDueSlots(at: first.adding(seconds: 20.01), limits: SlotPassLimits(schedules: 10, tasks: 100, catchUp: 1))
            _ = try await store.sweep(at: first.adding(seconds: 30), agentSeenSince: first, maxAttempts: 3)
            var total = RunTally()
            var passes = 0
            repeat {
                passes += 1
            } while try await store.countRuns(at: first.adding(seconds: 30), limit: 100, judge: RunJudge()).more && passes < 10
            for row in try await store.rollups(ofSchedule: "site", level: .hour, from: first.adding(seconds: -7200), to: first.adding(seconds: 7200)) {
                total.merge(row.tally)
            }
            #expect(total.down[.failed] == 1)
            #expect(total.down[.expired] == 2)
            #expect(total.down[.missed] == 38, "19 missed slots in 2 locations")
            #expect(total.up == 0 && total.runs == 1 + 2 + 38)
        }
    }

    @Test("pruning deletes judged runs and minute roll-ups past the results' retention and hour and day roll-ups past theirs, in batches",
          arguments: StoreEngine.allCases)
    func pruning(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let (first, agents) = try await Self.saveSite(alert: nil, in: store)
            for offset in 0..<3 {
                try await Self.run(slotAt: first, offset: Double(offset), statuses: ["FI": 200, "SE": 200], agents: agents, in: store)
            }
            // A task without a schedule is never pruned.
            let other = Sample.task()
            _ = try await store.insertTask(other, at: first)
            #expect(try await store.countRuns(at: first.adding(seconds: 10), limit: 100, judge: RunJudge()).judged == 6)
            let window = (from: first.adding(seconds: -86_400 * 2), to: first.adding(seconds: 86_400 * 2))
            /// Roll-up rows of the window: minute, hour, day.
            func rows() async throws -> [Int] {
                var counts: [Int] = []
                for level in RollupLevel.allCases {
                    counts.append(try await store.rollups(ofSchedule: "site", level: level, from: window.from, to: window.to).count)
                }
                return counts
            }
            #expect(try await rows() == [2, 2, 2])
            // Nothing is old enough yet: a minute roll-up goes once its whole minute is past the cutoff.
            #expect(try await store.prune(resultsBefore: RollupLevel.minute.bucket(of: first), rollupsBefore: first.adding(seconds: -86_400 * 2), limit: 1000) == 0)
            // Runs and minute roll-ups past their retention go, four rows a batch; hour and day roll-ups stay.
            var deleted = 0
            for _ in 0..<5 { deleted += try await store.prune(resultsBefore: first.adding(seconds: 3600), rollupsBefore: first.adding(seconds: -86_400 * 2), limit: 4) }
            #expect(deleted == 6 + 2)
            #expect(try await store.slotHistory(ofSchedule: "site", from: first, to: first.adding(seconds: 10), limit: 100).tasks.isEmpty)
            #expect(try await store.task(id: other.id) != nil)
            #expect(try await rows() == [0, 2, 2])
            #expect(try await store.prune(resultsBefore: first.adding(seconds: 3600), rollupsBefore: first.adding(seconds: 86_400 * 2), limit: 1000) == 4)
            #expect(try await rows() == [0, 0, 0])
        }
    }
}
