import FleetTestSupport
import Foundation
import Testing

/// Our `afm-agent` against the original SLAMon AFM (`slamon-afm` 1.1.0 from PyPI, unmodified, in-memory SQLite).
/// `SLAMON_AFM` names its executable; the README's test command installs it in a virtual environment.
@Suite(
    "afm-agent against the original SLAMon AFM",
    .enabled(
        if: ProcessInfo.processInfo.environment["SLAMON_AFM"] != nil,
        "SLAMON_AFM is not set (path of slamon-afm 1.1.0), so the interoperability test cannot run; use the README's test command"))
struct SLAMonAFMInteropTests {
    @Test("our agent completes wait and url_http_status tasks handed out by the original AFM")
    func originalAFM() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slamon-afm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("afm.cfg")
        try "AGENT_RETURN_TIME = 1\n".write(to: config, atomically: true, encoding: .utf8)
        // A free port can be taken by another test between our look and slamon-afm's bind (the check targets and
        // dnsmasq bind ports too): then it is started again on another.
        var started: (server: ChildProcess, baseURL: URL)?
        var lastLog = ""
        for _ in 0..<3 where started == nil {
            let port = try freeLoopbackPort()
            let baseURL = URL(string: "http://127.0.0.1:\(port)")!
            let serverProcess = Process()
            serverProcess.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SLAMON_AFM"]!)
            serverProcess.arguments = ["--config", config.path, "run", "127.0.0.1", String(port)]
            let serverLog = root.appendingPathComponent("slamon-afm-\(port).log")
            _ = FileManager.default.createFile(atPath: serverLog.path, contents: nil)
            serverProcess.standardOutput = try FileHandle(forWritingTo: serverLog)
            serverProcess.standardError = try FileHandle(forWritingTo: serverLog)
            let server = try ChildProcess(starting: serverProcess)
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while (try? await HTTP.get(baseURL.appendingPathComponent("status")))?.status != 200 {
                guard server.isRunning, ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            lastLog = (try? String(contentsOf: serverLog, encoding: .utf8)) ?? ""
            if server.isRunning, (try? await HTTP.get(baseURL.appendingPathComponent("status")))?.status == 200 {
                started = (server, baseURL)
            } else {
                server.signal(SIGKILL)
                if !lastLog.contains("Address already in use") { break }
            }
        }
        guard let (server, baseURL) = started else {
            Issue.record("slamon-afm did not start: \(lastLog)")
            return
        }
        defer { server.signal(SIGKILL) }

        let wait = try await BPMS.createTask(on: baseURL, type: "wait", data: ["time": 1])
        let status = try await BPMS.createTask(on: baseURL, type: "url_http_status", data: ["url": .string(baseURL.appendingPathComponent("status").absoluteString)])
        let agent = try AgentProcess(afm: baseURL, stateDirectory: root.appendingPathComponent("state"))
        let outcomes = try await BPMS.waitForOutcomes(on: baseURL, ids: [wait, status], timeout: .seconds(30))
        #expect(outcomes[wait]?["task_result"]?["time"]?.numberValue.map { $0.doubleValue >= 0.9 } == true, "\(outcomes)")
        #expect(outcomes[status]?["task_result"] == ["status": 200], "\(outcomes)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 0, "\(agent.log)")
    }
}
