import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// `kill -9` of `afm` on the embedded store while BPMS clients create tasks and an agent posts results: everything
/// that was answered with success is there after a restart. An answer goes out only after its commit.
@Suite("crash durability")
struct CrashDurabilityTests {
    /// Rounds of start, load, kill; `AFM_CRASH_ROUNDS` runs more (the README's long version).
    static let rounds = Int(ProcessInfo.processInfo.environment["AFM_CRASH_ROUNDS"] ?? "") ?? 8

    /// Makes `directory` and answers the environment of an `afm` whose embedded store is in it, so that it outlives
    /// each `afm` killed over it.
    static func embeddedStore(in directory: URL) throws -> [String: String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return ["AFM_DB_URI": "sqlite:///" + directory.appendingPathComponent("afm.sqlite").path, "LOG_LEVEL": "WARNING"]
    }

    @Test("every create and every result answered before a kill -9 is there after the restart")
    func answeredWritesSurviveKill() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afm-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = try Self.embeddedStore(in: directory)
        let acknowledged = Acknowledged()

        for round in 0..<Self.rounds {
            let afm = try AFMProcess(environment: environment)
            try await afm.waitUntilServing()
            let base = afm.baseURL
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    // Two clients create through protocol 1 (200), two through v2 (201).
                    for (route, success) in [("task", 200), ("task", 200), ("v2/tasks", 201), ("v2/tasks", 201)] {
                        group.addTask {
                            while true {
                                let id = UUID().uuidString.lowercased()
                                let body = #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"wait","task_version":1,"task_data":{"time":0}}"#
                                guard let answer = try? await HTTP.post(base.appendingPathComponent(route), json: body) else { return }
                                if answer.status == success { acknowledged.created.withLock { $0.append(id) } }
                            }
                        }
                    }
                    group.addTask {
                        let agent = UUID().uuidString.lowercased()
                        let poll = #"{"protocol":1,"agent_id":"\#(agent)","agent_name":"crash","agent_time":"t","agent_capabilities":{"wait":{"version":1}},"max_tasks":20}"#
                        while true {
                            guard let answer = try? await HTTP.post(base.appendingPathComponent("tasks"), json: poll) else { return }
                            let ids = String(decoding: answer.body, as: UTF8.self).matches(of: /"task_id":\s*"([0-9a-f-]{36})"/).map { String($0.1) }
                            for id in ids {
                                let result = #"{"protocol":1,"task_id":"\#(id)","task_data":{"time":0}}"#
                                guard let posted = try? await HTTP.post(base.appendingPathComponent("tasks/response"), json: result) else { return }
                                if posted.status == 200 { acknowledged.completed.withLock { $0.append(id) } }
                            }
                        }
                    }
                }
            }
            // Killed at a different moment of the load each round.
            try await Task.sleep(for: .milliseconds(300 + 97 * (round % 7)))
            // The load stops by itself: its next request finds afm gone. (Cancelling a task inside URLSession's
            // data(for:) can deadlock FoundationNetworking: its cancel handler and its completion take each other's
            // locks.)
            await afm.kill()
            await load.value
        }

        let afm = try AFMProcess(environment: environment)
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        let acknowledgedCreates = acknowledged.created.withLock { $0 }
        let acknowledgedResults = Set(acknowledged.completed.withLock { $0 })
        #expect(acknowledgedCreates.count > Self.rounds && !acknowledgedResults.isEmpty, "the load did not run")
        var missing: [String] = []
        var notCompleted: [String] = []
        for id in acknowledgedCreates {
            let (status, body) = try await HTTP.get(afm.baseURL.appendingPathComponent("v2/tasks/\(id)"))
            if status == 404 { missing.append(id); continue }
            if acknowledgedResults.contains(id) && !String(decoding: body, as: UTF8.self).contains(#""state":"completed""#) {
                notCompleted.append(id)
            }
        }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledgedCreates.count) answered creates are gone: \(missing.prefix(5))")
        #expect(notCompleted.isEmpty, "\(notCompleted.count) of \(acknowledgedResults.count) answered results are gone: \(notCompleted.prefix(5))")
    }

    @Test("a write answered while a large claim still returns its rows is committed before its answer")
    func writeAnsweredDuringALargeClaimSurvivesKill() async throws {
        // SQLite commits a statement only when no other writing statement of its connection is still active. A
        // claim of thousands of large tasks returns its rows one step at a time; a create or result that finished
        // on another thread meanwhile was answered before the claim let its commit happen, and a crash in between
        // lost it. Answers must wait for their commit, whatever else runs.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afm-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = try Self.embeddedStore(in: directory)
        let padding = String(repeating: "x", count: 16_000)
        var answered: [String] = []
        for round in 0..<3 {
            let afm = try AFMProcess(environment: environment)
            try await afm.waitUntilServing()
            let port = afm.baseURL.port!
            // A backlog of large tasks for one claim to take at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        let connection = try RawConnection(port: port)
                        defer { connection.close() }
                        for _ in stride(from: client, to: 2_000, by: 8) {
                            let body = #"{"task_type":"wait","task_version":1,"task_data":{"time":0,"padding":"\#(padding)"}}"#
                            let answer = try await connection.post("/v2/tasks", json: body)
                            guard answer.status == 201 else { throw Failure("seeding answered \(answer.status)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let claim = Task {
                let connection = try RawConnection(port: port, receiveTimeout: 60)
                defer { connection.close() }
                let poll = #"{"protocol":1,"agent_id":"\#(UUID().uuidString.lowercased())","agent_name":"bulk","agent_time":"t","agent_capabilities":{"wait":{"version":1}},"max_tasks":10000}"#
                _ = try? await connection.post("/tasks", json: poll)
            }
            // A create while the claim runs; afm is killed the moment it is answered.
            try await Task.sleep(for: .milliseconds(30))
            let connection = try RawConnection(port: port)
            let id = UUID().uuidString.lowercased()
            let answer = try await connection.post(
                "/v2/tasks", json: #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"small","task_version":1,"task_data":{}}"#)
            guard answer.status == 201 else { throw Failure("round \(round): the create answered \(answer.status)") }
            answered.append(id)
            kill(afm.processIdentifier, SIGKILL)
            connection.close()
            await afm.kill()
            _ = await claim.result
        }

        let afm = try AFMProcess(environment: environment)
        defer { afm.requestStop() }
        try await afm.waitUntilServing()
        var missing: [String] = []
        for id in answered where try await HTTP.get(afm.baseURL.appendingPathComponent("v2/tasks/\(id)")).status == 404 {
            missing.append(id)
        }
        #expect(missing.isEmpty, "\(missing.count) of \(answered.count) answered creates are gone: \(missing)")
    }
}

/// Ids whose writes `afm` answered with success.
private final class Acknowledged: Sendable {
    let created = Mutex<[String]>([])
    let completed = Mutex<[String]>([])
}
