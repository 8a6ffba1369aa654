import FleetTestSupport
import Foundation
import PostgresNIO
import Testing

/// Held polls (`Prefer: wait`) through real `afm` processes: answered when a task arrives, or empty at the deadline;
/// woken across processes on one PostgreSQL, also after the listening connection is lost; released by SIGTERM.
@Suite("Held polls")
struct HeldPollSystemTests {
    static func pollBody(agent: String = UUID().uuidString.lowercased(), type: String = "wait") -> String {
        #"{"protocol":1,"agent_id":"\#(agent)","agent_name":"held","agent_time":"t","agent_capabilities":{"\#(type)":{"version":1}},"max_tasks":1}"#
    }

    static func create(through afm: AFMProcess, type: String = "wait") async throws -> String {
        let id = UUID().uuidString.lowercased()
        let created = try await HTTP.post(
            afm.baseURL.appendingPathComponent("task"), json: #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"\#(type)","task_version":1}"#)
        guard created.status == 200 else { throw Failure("create answered \(created.status)") }
        return id
    }

    /// Starts a held poll and waits until `afm` reports it held.
    static func hold(at afm: AFMProcess, wait: Int, heldBefore: Int = 0) async throws -> Task<(status: Int, body: Data, preferenceApplied: String?), any Error> {
        let poll = Task { try await HTTP.heldPoll(afm.baseURL.appendingPathComponent("tasks"), json: pollBody(), wait: wait) }
        let metrics = afm.baseURL.appendingPathComponent("metrics")
        let held = await eventually(timeout: .seconds(60)) {
            let text = (try? await HTTP.get(metrics)).map { String(decoding: $0.body, as: UTF8.self) } ?? ""
            return text.contains("afm_polls_held \(heldBefore + 1)")
        }
        guard held else { throw Failure("the poll was not held: \(afm.log)") }
        return poll
    }

    @Test("a held poll returns the task created a second after it started, not at its deadline; an empty one at its deadline")
    func createdWhileHeld() async throws {
        let uri = try await StoreEngine.sqliteFile.makeDatabaseURI()
        let afm = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING", "AGENT_MAX_WAIT": "300", "AGENT_ACTIVE_THRESHOLD": "3600"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()

        // Held up to five minutes: answered within a minute, it was woken, however busy the machine.
        let started = ContinuousClock.now
        let poll = try await Self.hold(at: afm, wait: 300)
        try await Task.sleep(for: .seconds(1))
        let id = try await Self.create(through: afm)
        let answer = try await poll.value
        let waited = started.duration(to: .now)
        #expect(answer.status == 200 && answer.preferenceApplied == "wait=300")
        #expect(String(decoding: answer.body, as: UTF8.self).contains(id))
        #expect(waited >= .seconds(1) && waited < .seconds(60), "answered when the task came, not at the deadline: \(waited)")

        let emptyStart = ContinuousClock.now
        let empty = try await HTTP.heldPoll(afm.baseURL.appendingPathComponent("tasks"), json: Self.pollBody(), wait: 2)
        let emptyWaited = emptyStart.duration(to: .now)
        #expect(empty.status == 200 && empty.preferenceApplied == "wait=2")
        #expect(String(decoding: empty.body, as: UTF8.self).contains(#""tasks":[]"#))
        #expect(emptyWaited >= .milliseconds(1_900) && emptyWaited < .seconds(60))

        let metrics = String(decoding: try await HTTP.get(afm.baseURL.appendingPathComponent("metrics")).body, as: UTF8.self)
        #expect(metrics.contains("afm_task_post_to_claim_seconds_count 1"))
        #expect(metrics.contains("afm_polls_held 0"))
        // Each held poll is counted once, with the status it was answered with.
        #expect(metrics.contains(#"afm_http_requests_total{route="/tasks",method="POST",status="200"} 2"#), "\(metrics)")
    }

    @Test("SIGTERM answers every held poll at once, empty, and afm exits cleanly")
    func releasedAtShutdown() async throws {
        let uri = try await StoreEngine.sqliteFile.makeDatabaseURI()
        let afm = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING", "AGENT_MAX_WAIT": "300", "AGENT_ACTIVE_THRESHOLD": "3600"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        let first = try await Self.hold(at: afm, wait: 300)
        let second = try await Self.hold(at: afm, wait: 300, heldBefore: 1)
        let stopping = ContinuousClock.now
        afm.requestStop()
        for poll in [first, second] {
            let answer = try await poll.value
            #expect(answer.status == 200 && String(decoding: answer.body, as: UTF8.self).contains(#""tasks":[]"#))
        }
        #expect(stopping.duration(to: .now) < .seconds(60), "released at once, not after the five-minute wait")
        #expect(await afm.terminate() == 0)
    }
}

/// Two `afm` processes on one PostgreSQL wake each other's held polls through LISTEN/NOTIFY.
@Suite("Held polls across afm processes", .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
struct HeldPollAcrossProcessesTests {
    @Test("a task created through one afm wakes a poll held by the other, also after its LISTEN connection was terminated")
    func acrossProcesses() async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let creator = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING", "AGENT_MAX_WAIT": "300", "AGENT_ACTIVE_THRESHOLD": "3600"])
        defer { creator.requestStop() }
        try await creator.waitUntilServing()
        let holder = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "INFO", "AGENT_MAX_WAIT": "300", "AGENT_ACTIVE_THRESHOLD": "3600"])
        defer { holder.requestStop() }
        try await holder.waitUntilServing()

        // Both listen: two LISTEN backends on the database.
        let database = try await PostgresTestDatabases.connect(to: uri)
        defer { Task { try? await database.close() } }
        func listeners() async throws -> [Int32] {
            var pids: [Int32] = []
            for try await pid in try await database.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'", logger: testLogger
            ).decode(Int32.self) { pids.append(pid) }
            return pids
        }
        #expect(await eventually(timeout: .seconds(60)) { ((try? await listeners()) ?? []).count == 2 })

        for round in 0..<2 {
            let started = ContinuousClock.now
            let poll = try await HeldPollSystemTests.hold(at: holder, wait: 300)
            if round == 1 {
                // Cut the holder's listening connection (and the creator's: which is which does not matter), then
                // create at once: the task must reach the held poll through the reconnect's catch-up, not its deadline.
                let before = try await listeners()
                for pid in before {
                    _ = try await database.query("SELECT pg_terminate_backend(\(pid))", logger: testLogger).collect()
                }
            }
            let id = try await HeldPollSystemTests.create(through: creator)
            let answer = try await poll.value
            #expect(String(decoding: answer.body, as: UTF8.self).contains(id), "round \(round)")
            #expect(started.duration(to: .now) < .seconds(60), "round \(round): woken, not answered at the five-minute deadline")
        }
        // Listening again after the cut.
        #expect(await eventually(timeout: .seconds(60)) { ((try? await listeners()) ?? []).count == 2 })
        #expect(holder.log.contains("listening for other afm processes' tasks again") || holder.log.contains("cannot listen"))
    }
}
