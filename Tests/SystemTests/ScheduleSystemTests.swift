import FleetTestSupport
import Foundation
import JSON
import Synchronization
import Testing

/// A schedule run by real `afm` and `afm-agent` processes: every slot of a window made once per location, run by an
/// agent there, through the loss of an `afm` process.
@Suite("Schedules")
struct ScheduleSystemTests {
    /// Where a schedule runs and how its agents poll.
    struct Scenario {
        /// Each place the schedule names, with the place its agent reports (nil: no agent there, its tasks expire).
        var places: [(location: String, agent: String?)]
        /// The schedule's time to live; nil leaves the default, its interval (1 s).
        var ttlSeconds: Int?
        /// The agents' `--poll-wait`, and `AGENT_MAX_WAIT` of the afm processes.
        var pollWait: Int

        /// Held polls come back every 2 s: a process killed after committing slots but before announcing them leaves
        /// the other's held polls to find them then, within the tasks' time to live.
        static let shortWaits = Scenario(places: [("FI", "FI/18"), ("NO", nil), ("SE/AB", "SE/AB")], ttlSeconds: 5, pollWait: 2)
        /// Held polls that only a wake-up ends within the tasks' time to live of one second.
        static let longWaits = Scenario(places: [("DE", "DE/BY"), ("FI", "FI/18")], ttlSeconds: nil, pollWait: 30)
    }

    @Test(
        "two afm processes on PostgreSQL, one killed midway: each slot of 30 s is one task per location, run there",
        .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
    func twoProcessesOneKilled() async throws {
        try await runOnTwoProcesses(.shortWaits, seconds: 30)
    }

    /// Each slot's tasks live one second, and the agents' polls are held for 30 s on the process that does not
    /// save the schedule: only the word of a new task, from either process, gets them claimed in time.
    @Test(
        "two afm processes on PostgreSQL, polls held on one for 30 s, the other killed midway: every slot is claimed within its 1 s",
        .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
    func heldPollsGetEverySlotInTime() async throws {
        try await runOnTwoProcesses(.longWaits, seconds: 24)
    }

    /// Two afm processes on one new PostgreSQL database; the schedule is saved through the first, the agents poll
    /// the second, and the first is killed with SIGKILL halfway.
    func runOnTwoProcesses(_ scenario: Scenario, seconds: Int) async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let environment = ["AFM_DB_URI": uri, "LOG_LEVEL": "INFO", "AGENT_MAX_WAIT": "\(scenario.pollWait)"]
        let doomed = try AFMProcess(environment: environment)
        defer { doomed.requestStop() }
        let survivor = try AFMProcess(environment: environment)
        defer { survivor.requestStop() }
        try await doomed.waitUntilServing()
        try await survivor.waitUntilServing()
        let madeByDoomed = Mutex(0)
        try await Self.run(scenario, saveThrough: doomed, agentsOn: survivor, seconds: seconds) {
            let made = (try? await Self.slotsMade(by: doomed)) ?? 0
            madeByDoomed.withLock { $0 = made }
            await doomed.kill()
        }
        #expect(survivor.isRunning)
        // Both processes made slots: the due schedules are shared out, not led by one.
        #expect(madeByDoomed.withLock { $0 } > 0)
        #expect(try await Self.slotsMade(by: survivor) > 0)
    }

    @Test("one afm on the embedded store: each slot of 15 s is one task per location, run there")
    func embedded() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let afm = try AFMProcess(environment: [
            "AFM_DB_URI": "sqlite:///" + root.appendingPathComponent("afm.sqlite").path, "LOG_LEVEL": "WARNING", "AGENT_MAX_WAIT": "2",
        ])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        try await Self.run(.shortWaits, saveThrough: afm, agentsOn: afm, seconds: 15, midway: nil)
    }

    /// The slots an `afm` process made, from its slot-lag histogram.
    static func slotsMade(by afm: AFMProcess) async throws -> Int {
        let metrics = String(decoding: try await HTTP.get(afm.baseURL.appendingPathComponent("metrics")).body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("afm_schedule_slot_lag_seconds_count") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
    }

    /// Starts the scenario's agents on `agentsOn`, saves a schedule every second in its places through
    /// `saveThrough`, runs `midway` halfway through, pauses the schedule after `seconds`, and checks every slot in
    /// between: one task per location; each completed by the agent there, or expired, shown as not run, where there
    /// is none; slot lag p99 ≤ 1 s.
    static func run(
        _ scenario: Scenario, saveThrough: AFMProcess, agentsOn: AFMProcess, seconds: Int, midway: (@Sendable () async -> Void)?
    ) async throws {
        let places = scenario.places.map(\.location)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-agents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let agentPlaces = scenario.places.compactMap(\.agent)
        let agents = try agentPlaces.map { place in
            try AgentProcess(
                afm: agentsOn.baseURL, stateDirectory: root.appendingPathComponent(place.replacingOccurrences(of: "/", with: "-")),
                arguments: ["--location", place, "-x", "4", "--poll-wait", "\(scenario.pollWait)"])
        }
        defer { for agent in agents { agent.signal(SIGTERM) } }
        func agentID(in place: String) async throws -> String? {
            let url = agentsOn.baseURL.appendingPathComponent("v2/agents").appending(queryItems: [URLQueryItem(name: "location", value: place)])
            return try JSONParser.parse(try await HTTP.get(url).body)["agents"]?.arrayValue?.first?["agent_id"]?.stringValue
        }
        try await waitUntil(timeout: .seconds(30)) {
            for place in agentPlaces where (try? await agentID(in: place)) == nil { return false }
            return true
        }
        var agentIDs: [String: String] = [:]
        for (location, agent) in scenario.places {
            if let agent { agentIDs[location] = try #require(try await agentID(in: agent)) }
        }

        var members: [String: JSONValue] = [
            "task_type": "wait", "task_version": 1, "task_data": ["time": 0.05], "every_seconds": 1,
            "locations": .array(places.map { .string($0) }),
        ]
        if let ttl = scenario.ttlSeconds { members["ttl_seconds"] = .number(.integer(Int64(ttl))) }
        let schedule = JSONValue.object(members)
        let url = saveThrough.baseURL.appendingPathComponent("v2/schedules/probe")
        let saved = try await HTTP.put(url, json: JSONWriter.string(from: schedule))
        #expect(saved.status == 201)
        let firstSlot = try #require(Timestamp(iso8601: try JSONParser.parse(saved.body)["next_slot"]?.stringValue ?? ""))
        try await Task.sleep(for: .seconds(seconds / 2))
        await midway?()
        try await Task.sleep(for: .seconds(seconds - seconds / 2))
        var paused = schedule.objectValue!
        paused["paused"] = true
        #expect(try await HTTP.put(agentsOn.baseURL.appendingPathComponent("v2/schedules/probe"), json: JSONWriter.string(from: .object(paused))).status == 200)
        // The window: from the first slot to the last made before the pause.
        let window = (from: firstSlot, to: firstSlot.adding(seconds: Double(seconds - 1)))
        let runsURL = agentsOn.baseURL.appendingPathComponent("v2/schedules/probe/runs").appending(queryItems: [
            URLQueryItem(name: "from", value: window.from.iso8601Text), URLQueryItem(name: "to", value: window.to.iso8601Text),
        ])
        // The slots that ran end within moments; those where no agent is expire after their time to live.
        var slots: [JSONValue] = []
        try await waitUntil(timeout: .seconds(30)) {
            guard let body = try? await HTTP.get(runsURL).body, let runs = try? JSONParser.parse(body) else { return false }
            slots = runs["slots"]?.arrayValue ?? []
            return slots.allSatisfy { slot in
                slot["runs"]?.arrayValue?.allSatisfy { ["completed", "failed", "expired", "missed"].contains($0["status"]?.stringValue ?? "") } == true
            }
        }
        #expect(slots.count == seconds - 1)
        var lags: [Double] = []
        var lagBySlot: [Int: Double] = [:]
        var claimWaits: [Double] = []
        for (index, slot) in slots.enumerated() {
            let time = firstSlot.adding(seconds: Double(index))
            #expect(slot["slot"]?.stringValue == time.iso8601Text)
            let runs = slot["runs"]?.arrayValue ?? []
            #expect(runs.compactMap { $0["location"]?.stringValue } == places, "one run per location in slot \(index)")
            for run in runs {
                let location = run["location"]?.stringValue ?? ""
                let task = run["task"]
                if let created = task?["created"]?.stringValue.flatMap(Timestamp.init(iso8601:)) {
                    lags.append(time.seconds(until: created))
                    lagBySlot[index] = max(lagBySlot[index] ?? 0, time.seconds(until: created))
                }
                if let agentID = agentIDs[location] {
                    #expect(run["status"] == "completed", "slot \(index) \(location): \(run)")
                    #expect(task?["agent_id"]?.stringValue == agentID, "slot \(index) \(location)")
                    #expect(task?["schedule"] == "probe" && task?["slot"]?.stringValue == time.iso8601Text)
                    if let created = task?["created"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
                        let claimed = task?["claimed"]?.stringValue.flatMap(Timestamp.init(iso8601:))
                    {
                        claimWaits.append(created.seconds(until: claimed))
                    }
                } else {
                    #expect(
                        run["status"] == "expired" && run["reason"]?.stringValue?.contains("no agent in \(location)") == true,
                        "slot \(index) \(location)")
                }
            }
        }
        // Exactly once, counted from the tasks themselves too: every task of the schedule's test id is one slot's in
        // one place.
        let testID = try #require(try JSONParser.parse(saved.body)["test_id"]?.stringValue)
        let listURL = agentsOn.baseURL.appendingPathComponent("v2/tasks").appending(queryItems: [
            URLQueryItem(name: "test_id", value: testID), URLQueryItem(name: "limit", value: "1000"),
        ])
        let tasks = try JSONParser.parse(try await HTTP.get(listURL).body)["tasks"]?.arrayValue ?? []
        let keys = tasks.map { "\($0["slot"]?.stringValue ?? "") \($0["locations"]?.arrayValue?.first?.stringValue ?? "")" }
        #expect(Set(keys).count == keys.count, "no slot made twice in a place")
        #expect(keys.count >= slots.count * places.count)
        lags.sort()
        let p99 = lags.isEmpty ? .infinity : lags[min(lags.count - 1, Int((Double(lags.count) * 0.99).rounded(.up)) - 1)]
        let slowest = lagBySlot.sorted { $0.value > $1.value }.prefix(5).map { "slot \($0.key): \($0.value) s" }
        let passLog = (saveThrough.log + agentsOn.log).split(separator: "\n").filter { $0.contains("schedule") }.suffix(20)
        #expect(p99 <= 1, "slot lag p99 \(p99) s; slowest \(slowest); first slot \(firstSlot.iso8601Text); afm log: \(passLog)")
        claimWaits.sort()
        print("schedule '\(places.joined(separator: ","))': \(claimWaits.count) runs claimed, creation to claim max \(claimWaits.last ?? 0) s")
    }
}
