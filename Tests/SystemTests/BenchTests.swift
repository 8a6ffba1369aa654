import FleetTestSupport
import Foundation
import JSON
import Testing

/// The `afm-bench` executable against a real `afm` (embedded store) over loopback: what it counts must be what
/// happened, its duration cap must hold, and it must refuse to load anything but loopback.
@Suite("afm-bench")
struct BenchTests {
    static var executable: URL { AFMProcess.executable.deletingLastPathComponent().appendingPathComponent("afm-bench") }

    @Test("every task runs its lifecycle once: none lost, none claimed twice, and the server counted the same",
          arguments: [false, true])
    func lifecycles(agentsReconnect: Bool) async throws {
        let afm = try AFMProcess(environment: ["AFM_DB_URI": "sqlite://", "AGENT_RETURN_TIME": "1"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()

        let run = try await runBench(against: afm, [
            "--tasks", "300", "--agents", "20", "--bpms", "4", "--max-tasks", "5", "--idle-wait", "100", "--duration-cap", "60",
        ] + (agentsReconnect ? ["--agents-reconnect"] : []))
        #expect(run.figures["agents_reconnect"] == .bool(agentsReconnect))
        #expect(run.figures["completed"] == 300)
        #expect(run.figures["lost"] == 0)
        #expect(run.figures["double_claims"] == 0)
        #expect(run.figures["errors"] == [:])
        #expect(run.figures["latency"]?["create"]?["count"] == 300)
        #expect(run.figures["latency"]?["result"]?["count"] == 300)
        // The server-side view is afm's own /metrics.
        for event in ["created", "claimed", "completed"] {
            #expect(run.table.contains("afm_tasks_total{event=\"\(event)\"} 300"), "\(event) in \(run.table)")
        }
    }

    @Test("held polls across two afm processes: every task created through one is claimed through the other, once")
    func heldAcrossProcesses() async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let creator = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING"])
        defer { creator.requestStop() }
        try await creator.waitUntilServing()
        let holder = try AFMProcess(environment: ["AFM_DB_URI": uri, "LOG_LEVEL": "WARNING"])
        defer { holder.requestStop() }
        try await holder.waitUntilServing()

        // The tasks come within the first seconds; a held poll not woken by them would take them only at its 30 s
        // deadline.
        let run = try await runBench(against: creator, [
            "--url", holder.baseURL.absoluteString, "--split-roles", "--hold", "30", "--create-interval", "20",
            "--tasks", "100", "--agents", "10", "--bpms", "1", "--max-tasks", "1", "--idle-wait", "1000", "--duration-cap", "90",
        ])
        #expect(run.figures["completed"] == 100)
        #expect(run.figures["double_claims"] == 0)
        #expect(run.figures["errors"] == [:])
        #expect(run.figures["latency"]?["post-to-claim"]?["count"] == 100)
        let slowest = try #require(run.figures["latency"]?["post-to-claim"]?["max_ms"]?.numberValue?.doubleValue)
        #expect(slowest < 20_000, "woken, not answered at the deadline: the slowest claim took \(slowest) ms")
        #expect(run.table.contains("server view of \(holder.baseURL.absoluteString)"))
    }

    @Test("an idle fleet stops at the duration cap, even when the agents' idle wait is longer")
    func durationCap() async throws {
        let afm = try AFMProcess(environment: ["AFM_DB_URI": "sqlite://"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()

        let run = try await runBench(against: afm, [
            "--tasks", "0", "--agents", "50", "--idle-wait", "30000", "--duration-cap", "2",
        ])
        let seconds = try #require(run.figures["seconds"]?.numberValue?.doubleValue)
        // Agents that polled within the first 2 s would otherwise sleep out their 30 s.
        #expect(seconds >= 2 && seconds < 10, "ran \(seconds) s")
        #expect(run.figures["errors"] == [:])
    }

    @Test("an AFM that dies mid-run is counted as errors, and the run still ends at its cap")
    func afmGone() async throws {
        let afm = try AFMProcess(environment: ["AFM_DB_URI": "sqlite://", "AGENT_RETURN_TIME": "1"])
        defer { afm.requestStop() }
        try await afm.waitUntilServing()

        async let run = runBench(against: afm, ["--tasks", "0", "--agents", "10", "--idle-wait", "100", "--duration-cap", "8"])
        // Killed once it has answered polls (however long the benchmark takes to start on a busy machine).
        let polls = afm.baseURL.appendingPathComponent("metrics")
        for _ in 0..<80 {
            let (_, body) = try await HTTP.get(polls)
            if String(decoding: body, as: UTF8.self).contains("afm_http_requests_total{route=\"/tasks\",method=\"POST\",status=\"200\"}") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        await afm.kill()
        let (_, figures) = try await run
        let seconds = try #require(figures["seconds"]?.numberValue?.doubleValue)
        #expect(seconds >= 8 && seconds < 20, "ran \(seconds) s")
        // Polls before the kill answered; the ones after found the connection closed or refused.
        #expect((figures["latency"]?["poll"]?["count"]?.numberValue?.doubleValue ?? 0) > 0)
        guard case .object(let errors)? = figures["errors"] else {
            Issue.record("no errors object in \(figures)")
            return
        }
        #expect(!errors.isEmpty && errors.keys.allSatisfy { $0.hasPrefix("POST /tasks ") && !$0.hasPrefix("POST /tasks 2") }, "\(errors)")
    }

    @Test("a URL that is not loopback is refused with one line, before any request")
    func loopbackOnly() async throws {
        let result = try await runCommand(Self.executable, ["--url", "http://192.0.2.1:8080", "--tasks", "1"])
        #expect(result.status != 0)
        #expect(result.errors.contains("--url must be a loopback address"), "\(result.errors)")
    }

    /// Runs the benchmark to its end; answers its table and the figures of its JSON line.
    private func runBench(against afm: AFMProcess, _ arguments: [String]) async throws -> (table: String, figures: JSONValue) {
        let result = try await runCommand(Self.executable, ["--url", afm.baseURL.absoluteString] + arguments)
        #expect(result.status == 0, "afm-bench failed: \(result.errors)")
        let lines = result.output.split(separator: "\n")
        let jsonLine = try #require(lines.last(where: { $0.hasPrefix("{") }), "no JSON line in \(result.output)")
        return (result.output, try JSONParser.parse(String(jsonLine)))
    }
}
