import FleetTestSupport
import Foundation
import Testing

/// `afm` processes on a real PostgreSQL server.
@Suite("afm on PostgreSQL", .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
struct PostgresFleetTests {
    @Test("50 concurrent pollers over 1,000 tasks claim each task exactly once, through one or two afm processes", arguments: [1, 2])
    func concurrentPollers(processes: Int) async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let afms = try (0..<processes).map { _ in try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING"]) }
        for afm in afms { try await afm.waitUntilServing() }

        let taskIDs = (0..<1_000).map { _ in UUID().uuidString.lowercased() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, chunk) in stride(from: 0, to: taskIDs.count, by: 100).map({ Array(taskIDs[$0..<$0 + 100]) }).enumerated() {
                let url = afms[index % afms.count].baseURL.appendingPathComponent("task")
                group.addTask {
                    for id in chunk {
                        let created = try await HTTP.post(url, json: #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"wait","task_version":1}"#)
                        guard created.status == 200 else { throw Failure("create answered \(created.status)") }
                    }
                }
            }
            try await group.waitForAll()
        }

        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for poller in 0..<50 {
                let url = afms[poller % afms.count].baseURL.appendingPathComponent("tasks")
                let agentID = UUID().uuidString.lowercased()
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let poll = #"{"protocol":1,"agent_id":"\#(agentID)","agent_name":"p\#(poller)","agent_time":"t","agent_capabilities":{"wait":{"version":1}},"max_tasks":5}"#
                        let answer = try await HTTP.post(url, json: poll)
                        guard answer.status == 200 else { throw Failure("poll answered \(answer.status)") }
                        let ids = String(decoding: answer.body, as: UTF8.self).matches(of: /"task_id":"([0-9a-f-]{36})"/).map { String($0.1) }
                        if ids.isEmpty { return mine }
                        mine += ids
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claims.count == 1_000, "every task claimed, none twice")
        #expect(Set(claims) == Set(taskIDs))
        for afm in afms { await afm.terminate() }
    }

    @Test("when PostgreSQL goes down /status answers 500, afm keeps running, and recovers when it returns")
    func databaseOutage() async throws {
        let database = try await PrivatePostgres()
        let afm = try AFMProcess(environment: ["AFM_DB_URI": database.uri])
        try await afm.waitUntilServing()
        let status = afm.baseURL.appendingPathComponent("status")
        #expect(try await HTTP.get(status).status == 200)

        try await database.stop()
        let during = try await HTTP.get(status)
        #expect(during.status == 500)
        #expect(String(decoding: during.body, as: UTF8.self).contains("database unavailable"))
        let createDuring = try await HTTP.post(afm.baseURL.appendingPathComponent("task"), json: #"{"task_id":"\#(UUID())","test_id":"\#(UUID())","task_type":"wait","task_version":1}"#)
        #expect(createDuring.status == 500)

        try await database.resume()
        var recovered = false
        for _ in 0..<100 where !recovered {
            recovered = (try? await HTTP.get(status).status) == 200
            if !recovered { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(recovered, "afm should serve again once PostgreSQL is back")
        let log = await afm.stopAndReadLog()
        #expect(log.contains("request failed") && log.contains("cause="), "5xx answers are logged with their cause")
    }

    /// The connection pool must come back whole after its connections failed to reopen: after an outage long enough
    /// for reconnects to fail and requests to queue, the requests arriving together when the first connection reopens
    /// must be served, not end the process (a pool that keeps a minimum of connections open stopped afm here).
    @Test("afm outlives repeated PostgreSQL outages under concurrent requests and serves after each")
    func repeatedOutagesUnderLoad() async throws {
        let database = try await PrivatePostgres()
        let afm = try AFMProcess(environment: ["AFM_DB_URI": database.uri, "LOG_LEVEL": "ERROR"])
        try await afm.waitUntilServing()
        let port = afm.port
        @Sendable func newTask() -> String {
            let id = UUID().uuidString.lowercased()
            return #"{"task_id":"\#(id)","test_id":"\#(id)","task_type":"wait","task_version":1}"#
        }
        // Raw connections, each read on a thread of its own: enough requests at once to queue for the pool.
        @Sendable func post(_ connection: inout RawConnection?, _ path: String, _ body: String) async -> Result<Int, any Error> {
            do {
                let open = try connection ?? RawConnection(port: port)
                connection = open
                return .success(try await open.post(path, json: body).status)
            } catch {
                connection = nil
                try? await Task.sleep(for: .milliseconds(50))
                return .failure(error)
            }
        }
        let load = Task {
            await withDiscardingTaskGroup { group in
                for client in 0..<64 {
                    group.addTask {
                        let agent = UUID().uuidString.lowercased()
                        var connection: RawConnection?
                        while !Task.isCancelled {
                            _ = await post(&connection, "/task", newTask())
                            _ = await post(
                                &connection, "/tasks",
                                #"{"protocol":1,"agent_id":"\#(agent)","agent_name":"c\#(client)","agent_time":"t","agent_capabilities":{"wait":{"version":1}},"max_tasks":2}"#)
                        }
                    }
                }
            }
        }
        defer { load.cancel() }

        for outage in 1...2 {
            try await database.stop()
            // Long enough for the pool's reconnects to fail and back off and for requests to queue, as in a restart.
            try await Task.sleep(for: .seconds(5))
            try await database.resume()
            var lastAnswer = "none"
            let served = await eventually(timeout: .seconds(30)) {
                var connection: RawConnection?
                let answer = await post(&connection, "/task", newTask())
                lastAnswer = "\(answer)"
                return (try? answer.get()) == 200 || !afm.isRunning
            }
            #expect(afm.isRunning, "afm ended after outage \(outage): \(afm.log.suffix(3_000))")
            #expect(served, "afm did not serve a create within 30 s of outage \(outage) (last answer: \(lastAnswer)): \(afm.log.suffix(3_000))")
            guard afm.isRunning else { return }
            // The load runs on against the recovered pool before the next outage.
            try await Task.sleep(for: .seconds(2))
            #expect(afm.isRunning, "afm ended after outage \(outage) under load: \(afm.log.suffix(3_000))")
        }
        load.cancel()
        await load.value
        await afm.terminate()
    }
}
