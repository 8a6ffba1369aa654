import FleetTestSupport
import Foundation
import JSON
import Testing

/// An independent Thrift implementation (thriftpy2 from PyPI, loading only thrift/databridge.thrift) on the other
/// side: Python publishes to cep-stub, and afm-agent publishes to a Python receiver. `THRIFT_PYTHON` names a
/// Python with thriftpy2; the README's test command installs one in a virtual environment.
@Suite(
    "Thrift interoperability with thriftpy2",
    .enabled(
        if: ProcessInfo.processInfo.environment["THRIFT_PYTHON"] != nil,
        "THRIFT_PYTHON is not set (a Python with thriftpy2), so the Thrift interoperability tests cannot run; use the README's test command"))
struct ThriftInteropTests {
    static let python = ProcessInfo.processInfo.environment["THRIFT_PYTHON"] ?? "python3"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let idl = repository.appendingPathComponent("thrift/databridge.thrift").path

    static func runPython(_ arguments: [String]) async throws -> String {
        let result = try await runCommand(URL(fileURLWithPath: python), arguments, timeout: .seconds(60))
        guard result.status == 0 else { throw Failure("python \(arguments) failed: \(result.errors)") }
        return result.output
    }

    @Test("Python publishes every attribute type to cep-stub over plain TCP and TLS; both sides agree on every value", arguments: ["plain", "tls"])
    func pythonPublishes(transport: String) async throws {
        let stub = try await CEPStubProcess(username: "fleet", password: "p4ss")
        let port = transport == "tls" ? stub.tlsPort : stub.plainPort
        let answers = try JSONParser.parse(try await Self.runPython([
            Self.repository.appendingPathComponent("thrift/interop/publish.py").path, Self.idl, "127.0.0.1", "\(port)", transport, "fleet", "p4ss",
        ]))
        #expect(answers["stream"] == "interop.all_types:2.1.0")
        #expect(answers["found"] == "interop.all_types:2.1.0")
        #expect(answers["wrong_password"] == "invalid user name or password")
        #expect(answers["redefined"] == "interop.all_types:2.1.0 is already defined differently")
        #expect(answers["expired"] == "session no-such-session is not open")
        #expect(answers["undefined"] == "no stream definition for nobody:1.0")
        #expect(answers["malformed"]?.description.contains("not JSON") == true)

        let events = try await stub.events("stream=interop.all_types:2.1.0")
        #expect(events.count == 2)
        guard events.count == 2 else { return }
        #expect(events[0]["transport"] == .string(transport))
        #expect(events[0]["timestamp"] == 1_700_000_000_001)
        #expect(events[0]["meta_data"] == ["host": "h1"])
        #expect(events[0]["correlation_data"] == ["trace": 9_000_000_000])
        #expect(events[0]["payload_data"] == ["count": 7, "ratio": 0.5, "value": 123.25, "ok": true, "label": "grüße"])
        #expect(events[0]["arbitrary_data"] == [:])
        #expect(events[1]["timestamp"] == 1_700_000_000_002)
        #expect(events[1]["meta_data"] == ["host": "h2"])
        #expect(events[1]["correlation_data"] == ["trace": -1])
        #expect(events[1]["payload_data"] == ["count": -8, "ratio": 1.5, "value": -0.0625, "ok": false, "label": ""])
        #expect(events[1]["arbitrary_data"] == ["origin": "python"])
    }

    @Test("afm-agent publishes health statistics to a Python receiver: login, the exact stream definition, the bundle layout",
          .enabled(if: MosquittoBroker.isInstalled, Comment(rawValue: MosquittoBroker.skipReason)))
    func agentPublishesToPython() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("thrift-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let calls = root.appendingPathComponent("calls.jsonl")
        let portFile = root.appendingPathComponent("receiver.port")
        let receiverProcess = Process()
        receiverProcess.executableURL = URL(fileURLWithPath: Self.python)
        receiverProcess.arguments = [Self.repository.appendingPathComponent("thrift/interop/receiver.py").path, Self.idl, portFile.path, calls.path]
        receiverProcess.standardOutput = FileHandle.nullDevice
        receiverProcess.standardError = FileHandle.nullDevice
        let receiver = try ChildProcess(starting: receiverProcess)
        defer { receiver.signal(SIGKILL) }
        // The receiver binds a port of the kernel's choosing and names it once it listens: a port chosen here
        // could be taken by another test's server before Python binds it.
        var announced: Int?
        let listening = ContinuousClock.now.advanced(by: .seconds(20))
        while announced == nil && receiver.isRunning && ContinuousClock.now < listening {
            announced = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
            if announced == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let port = try #require(announced, "the Python receiver did not start listening")
        let broker = try await MosquittoBroker()
        let agent = try CEPSystemTests.startAgent(
            root: root, broker: broker, receivers: ["127.0.0.1:\(port)"], extra: "thrift.ssl.enabled = false")

        var lines: [JSONValue] = []
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while lines.filter({ $0["call"] == "publish" }).count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            let text = (try? String(contentsOf: calls, encoding: .utf8)) ?? ""
            lines = try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        }
        let publishes = lines.filter { $0["call"] == "publish" }
        try #require(publishes.count >= 2, "\(agent.log)")
        #expect(lines.first?["call"] == "connect")
        #expect(lines.first?["user"] == "admin")
        let definition = try #require(lines.first { $0["call"] == "defineStream" }?["definition"])
        #expect(definition == .string(#"{"name":"cartridge_agent_health_stats","version":"1.0.0","nickName":"agent health stats","description":"agent health stats","payloadData":[{"name":"cluster_id", "type": "STRING"},{"name":"cluster_instance_id", "type": "STRING"},{"name":"network_partition_id", "type": "STRING"},{"name":"member_id", "type": "STRING"},{"name":"partition_id", "type": "STRING"},{"name":"health_description", "type": "STRING"},{"name":"value", "type": "DOUBLE"}]}"#))
        for (publish, description) in zip(publishes.prefix(2), ["memory_consumption", "load_average"]) {
            #expect(publish["session"] == lines.first?["session"])
            #expect(publish["eventNum"] == 1)
            #expect(publish["ints"] == [])
            #expect(publish["bools"] == [])
            #expect(publish["arbitrary"] == .null)
            #expect(publish["strings"] == .array([
                "cartridge_agent_health_stats:1.0.0", "php.cluster", "ci-1", "np-1", "member-1", "p-1", .string(description),
            ]))
            guard case .array(let longs)? = publish["longs"], case .array(let doubles)? = publish["doubles"] else {
                Issue.record("no long or double list in \(publish)")
                continue
            }
            #expect(longs.count == 1 && doubles.count == 1)
        }
    }
}
