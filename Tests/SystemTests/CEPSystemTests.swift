import FleetTestSupport
import Foundation
import JSON
import Testing

/// afm-agent's health statistics reaching real cep-stub processes over TLS and plain TCP, with failover,
/// session expiry and certificate verification; and cep-stub refusing bad input while it keeps serving.
@Suite("Health statistics to CEP", .enabled(if: MosquittoBroker.isInstalled, Comment(rawValue: MosquittoBroker.skipReason)))
struct CEPSystemTests {
    static let stream = "cartridge_agent_health_stats:1.0.0"

    /// Starts a cartridge agent with `stats.notifier.interval = 1` publishing to `receivers`.
    static func startAgent(
        root: URL, broker: MosquittoBroker, receivers: [String], extra: String = "", password: String = "admin"
    ) throws -> AgentProcess {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try """
            [agent]
            mb.urls = \(broker.address)
            listen.address = 127.0.0.1
            cep.stats.publisher.enabled = true
            thrift.receiver.urls = \(receivers.joined(separator: ","))
            thrift.server.admin.username = admin
            thrift.server.admin.password = \(password)
            stats.notifier.interval = 1
            extensions.dir = \(root.appendingPathComponent("extensions").path)
            \(extra)
            """.write(to: root.appendingPathComponent("agent.conf"), atomically: true, encoding: .utf8)
        try "APPLICATION_ID=app,SERVICE_NAME=php,CLUSTER_ID=php.cluster,CLUSTER_INSTANCE_ID=ci-1,MEMBER_ID=member-1,NETWORK_PARTITION_ID=np-1,PARTITION_ID=p-1"
            .write(to: root.appendingPathComponent("launch-params"), atomically: true, encoding: .utf8)
        return try AgentProcess(
            afm: nil, stateDirectory: root.appendingPathComponent("state"),
            arguments: ["--config", root.appendingPathComponent("agent.conf").path, "--launch-params", root.appendingPathComponent("launch-params").path])
    }

    static func waitForEvents(_ stub: CEPStubProcess, after: Int = 0, atLeast count: Int, timeout: Duration = .seconds(20)) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let events = try await stub.events("stream=\(stream)&after=\(after)")
            if events.count >= count { return events }
            guard ContinuousClock.now < deadline else { throw Failure("\(events.count) of \(count) events arrived within \(timeout):\n\(stub.log)") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func lastSequence(_ stub: CEPStubProcess) async throws -> Int {
        guard case .number(.integer(let sequence))? = try await stub.events("limit=1").last?["sequence"] else { return 0 }
        return Int(sequence)
    }

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cep-\(UUID().uuidString)")
    }

    @Test("over plain TCP: memory then load average each tick, with the instance's identity and a millisecond timestamp")
    func plainTCP() async throws {
        let root = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let broker = try await MosquittoBroker()
        let stub = try await CEPStubProcess()
        let started = Int64(Date().timeIntervalSince1970 * 1000)
        let agent = try Self.startAgent(root: root, broker: broker, receivers: ["127.0.0.1:\(stub.plainPort)"], extra: "thrift.ssl.enabled = false")
        let events = try await Self.waitForEvents(stub, atLeast: 4)
        #expect(events.allSatisfy { $0["transport"] == "plain" })
        #expect(events.prefix(4).map { $0["payload_data"]?["health_description"] } == ["memory_consumption", "load_average", "memory_consumption", "load_average"])
        let memory = try #require(events.first?["payload_data"])
        for (key, value) in [("cluster_id", "php.cluster"), ("cluster_instance_id", "ci-1"), ("network_partition_id", "np-1"), ("member_id", "member-1"), ("partition_id", "p-1")] {
            #expect(memory[key] == .string(value), "\(key)")
        }
        guard case .number(let value)? = memory["value"], case .number(.integer(let timestamp))? = events.first?["timestamp"] else {
            Issue.record("no value or timestamp in \(memory)")
            return
        }
        #expect((0...100).contains(value.doubleValue))
        #expect(timestamp >= started && timestamp <= Int64(Date().timeIntervalSince1970 * 1000))
        #expect(agent.isRunning)
    }

    @Test("two TLS receivers: both receive; one stopped, the other keeps receiving; restarted, it receives again")
    func failover() async throws {
        let root = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let broker = try await MosquittoBroker()
        let first = try await CEPStubProcess()
        let second = try await CEPStubProcess()
        let agent = try Self.startAgent(
            root: root, broker: broker, receivers: ["127.0.0.1:\(first.tlsPort)", "127.0.0.1:\(second.tlsPort)"])
        _ = try await Self.waitForEvents(first, atLeast: 2)
        _ = try await Self.waitForEvents(second, atLeast: 2)
        #expect(try await second.events("stream=\(Self.stream)").allSatisfy { $0["transport"] == "tls" })

        await first.kill()
        let before = try await Self.lastSequence(second)
        _ = try await Self.waitForEvents(second, after: before, atLeast: 4)
        #expect(agent.log.contains("Couldn't publish health statistics to CEP. Thrift Receiver offline. Reconnecting..."))

        // An expired session on the second: the agent logs in again and the event is not lost.
        try await second.expireSessions()
        let afterExpiry = try await Self.lastSequence(second)
        _ = try await Self.waitForEvents(second, after: afterExpiry, atLeast: 2)

        let restarted = try await CEPStubProcess(plainPort: first.plainPort, tlsPort: first.tlsPort)
        _ = try await Self.waitForEvents(restarted, atLeast: 2)
        #expect(agent.isRunning)
    }

    @Test("with thrift.ssl.ca.file the receiver's certificate is verified: its CA is accepted, another CA is not")
    func verifiedTLS() async throws {
        let root = Self.temporaryDirectory()
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let (certificate, key) = try await Self.makeCertificate(in: root, name: "receiver")
        let (otherCA, _) = try await Self.makeCertificate(in: root, name: "other")
        let broker = try await MosquittoBroker()
        let stub = try await CEPStubProcess(certificate: certificate, privateKey: key)

        let trusting = try Self.startAgent(
            root: root.appendingPathComponent("trusting"), broker: broker, receivers: ["127.0.0.1:\(stub.tlsPort)"],
            extra: "thrift.ssl.ca.file = \(certificate)")
        _ = try await Self.waitForEvents(stub, atLeast: 2)
        #expect(!trusting.log.contains("without verification"))
        trusting.signal(SIGKILL)
        _ = await trusting.waitForExit(timeout: .seconds(5))

        let sessionsBefore = try await Self.lastSequence(stub)
        let doubting = try Self.startAgent(
            root: root.appendingPathComponent("doubting"), broker: broker, receivers: ["127.0.0.1:\(stub.tlsPort)"],
            extra: "thrift.ssl.ca.file = \(otherCA)")
        // Waits for the refusal itself rather than a fixed time, which a loaded machine may need more of.
        let refusal = "CEP receiver 127.0.0.1:\(stub.tlsPort) is not available"
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !doubting.log.contains(refusal) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(doubting.log.contains(refusal), "\(doubting.log)")
        #expect(try await stub.events("stream=\(Self.stream)&after=\(sessionsBefore)").isEmpty)
        #expect(doubting.isRunning, "a receiver that cannot be trusted does not stop the agent")
    }

    @Test("wrong credentials: refused by the receiver, the agent keeps running and keeps trying")
    func wrongCredentials() async throws {
        let root = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let broker = try await MosquittoBroker()
        let stub = try await CEPStubProcess()
        let agent = try Self.startAgent(root: root, broker: broker, receivers: ["127.0.0.1:\(stub.tlsPort)"], password: "guess")
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !agent.log.contains("ThriftAuthenticationException") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(agent.log.contains("ThriftAuthenticationException"), "\(agent.log)")
        #expect(try await stub.events().isEmpty)
        #expect(stub.log.contains("refused a tls login for user 'admin'"))
        #expect(agent.isRunning)
    }

    /// A self-signed certificate for 127.0.0.1 and its key, made by the openssl command.
    static func makeCertificate(in directory: URL, name: String) async throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("\(name).pem").path
        let key = directory.appendingPathComponent("\(name).key").path
        let openssl = try await runCommand(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "2", "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard openssl.status == 0 else { throw Failure("openssl could not make a certificate: \(openssl.errors)") }
        return (certificate, key)
    }
}

