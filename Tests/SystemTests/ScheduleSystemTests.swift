import FleetTestSupport
import Foundation
import JSON
import Synchronization
import Testing

/// A schedule run by real `afm` and `afm-agent` processes: every slot of a window made once per location, run by an
/// agent there, through the loss of an `afm` process.
@Suite("Schedules")
struct ScheduleSystemTests {
    /// Where the schedule runs: two places with an agent each, and one with none.
    static let places = ["FI", "NO", "SE/AB"]

    @Test(
        "two afm processes on PostgreSQL, one killed midway: each slot of 30 s is one task per location, run there",
        .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
    func twoProcessesOneKilled() async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        // Held polls come back every 2 s: a process killed after committing slots but before announcing them leaves
        // the other's held polls to find them then, within the tasks' time to live.
        let environment = ["AFM_DB_URI": uri, "LOG_LEVEL": "INFO", "AGENT_MAX_WAIT": "2"]
        let doomed = try AFMProcess(environment: environment)
        defer { doomed.requestStop() }
        let survivor = try AFMProcess(environment: environment)
        defer { survivor.requestStop() }
        try await doomed.waitUntilServing()
        try await survivor.waitUntilServing()
        let madeByDoomed = Mutex(0)
        try await Self.run(saveThrough: doomed, agentsOn: survivor, seconds: 30) {
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
        try await Self.run(saveThrough: afm, agentsOn: afm, seconds: 15, midway: nil)
    }

    /// The slots an `afm` process made, from its slot-lag histogram.
    static func slotsMade(by afm: AFMProcess) async throws -> Int {
        let metrics = String(decoding: try await HTTP.get(afm.baseURL.appendingPathComponent("metrics")).body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("afm_schedule_slot_lag_seconds_count") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
    }

    /// Starts an agent in FI/18 and one in SE/AB on `agentsOn`, saves a schedule every second in FI, NO and SE/AB
    /// through `saveThrough`, runs `midway` halfway through, pauses the schedule after `seconds`, and checks every
    /// slot in between: one task per location; FI's and SE/AB's completed by the agent there; NO's expired, shown as
    /// not run; slot lag p99 ≤ 1 s.
    static func run(saveThrough: AFMProcess, agentsOn: AFMProcess, seconds: Int, midway: (@Sendable () async -> Void)?) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-agents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let agents = try ["FI/18", "SE/AB"].map { place in
            try AgentProcess(
                afm: agentsOn.baseURL, stateDirectory: root.appendingPathComponent(place.replacingOccurrences(of: "/", with: "-")),
                arguments: ["--location", place, "-x", "4", "--poll-wait", "2"])
        }
        defer { for agent in agents { agent.signal(SIGTERM) } }
        func agentID(in place: String) async throws -> String? {
            let url = agentsOn.baseURL.appendingPathComponent("v2/agents").appending(queryItems: [URLQueryItem(name: "location", value: place)])
            return try JSONParser.parse(try await HTTP.get(url).body)["agents"]?.arrayValue?.first?["agent_id"]?.stringValue
        }
        try await waitUntil(timeout: .seconds(30)) {
            let finland = try? await agentID(in: "FI/18")
            let sweden = try? await agentID(in: "SE/AB")
            return finland != nil && sweden != nil
        }
        let finland = try #require(try await agentID(in: "FI/18"))
        let sweden = try #require(try await agentID(in: "SE/AB"))

        let schedule: JSONValue = [
            "task_type": "wait", "task_version": 1, "task_data": ["time": 0.05], "every_seconds": 1, "ttl_seconds": 5,
            "locations": .array(places.map { .string($0) }),
        ]
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
        // The slots that ran end within moments; those in NO expire after their 5 s.
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
                switch location {
                case "NO":
                    #expect(run["status"] == "expired" && run["reason"]?.stringValue?.contains("no agent in NO") == true, "slot \(index) NO")
                default:
                    #expect(run["status"] == "completed", "slot \(index) \(location): \(run)")
                    #expect(task?["agent_id"]?.stringValue == (location == "FI" ? finland : sweden), "slot \(index) \(location)")
                    #expect(task?["schedule"] == "probe" && task?["slot"]?.stringValue == time.iso8601Text)
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
    }
}
