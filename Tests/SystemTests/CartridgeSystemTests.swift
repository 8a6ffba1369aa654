import FleetTestSupport
import Foundation
import JSON
import Testing

/// afm-agent's cartridge side against a real Mosquitto broker: lifecycle events checked field by field by an
/// independent subscriber (`mosquitto_sub`), port-probe activation, cleanup, and extensions.
@Suite("afm-agent cartridge side", .enabled(if: MosquittoBroker.isInstalled, Comment(rawValue: MosquittoBroker.skipReason)))
struct CartridgeSystemTests {
    func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Failure("condition not met within \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("InstanceStarted, then InstanceActivated once the ports open; cleanup gives maintenance mode, clean, ready to shut down")
    func lifecycle() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cartridge-\(UUID().uuidString)")
        let extensions = root.appendingPathComponent("extensions")
        try FileManager.default.createDirectory(at: extensions, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for (name, script) in [
            ("InstanceStartedEvent.sh", "env | grep '^STRATOS_' | sort > \(root.path)/started.env"),
            ("clean.sh", "echo cleaned > \(root.path)/clean.out"),
        ] {
            let file = extensions.appendingPathComponent(name)
            try "#!/bin/sh\n\(script)\n".write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
        let broker = try await MosquittoBroker()
        let subscriber = try await IndependentSubscriber(broker: broker, topic: "instance/status/#")
        let listener = try LoopbackPort()
        let appPort = listener.port
        try """
            [agent]
            mb.urls = 127.0.0.1:\(broker.port)
            listen.address = 127.0.0.1
            port.check.timeout = 60000
            extensions.dir = \(extensions.path)
            mb.publisher.timeout = 60
            """.write(to: root.appendingPathComponent("agent.conf"), atomically: true, encoding: .utf8)
        try "APPLICATION_ID=app-1,SERVICE_NAME=php,CLUSTER_ID=php.cluster,CLUSTER_INSTANCE_ID=ci-1,MEMBER_ID=member-1,NETWORK_PARTITION_ID=np-1,PARTITION_ID=p-1,PORTS=\(appPort)"
            .write(to: root.appendingPathComponent("launch-params"), atomically: true, encoding: .utf8)

        let agent = try AgentProcess(
            afm: nil, stateDirectory: root.appendingPathComponent("state"),
            arguments: ["--config", root.appendingPathComponent("agent.conf").path, "--launch-params", root.appendingPathComponent("launch-params").path])
        try await waitUntil(.seconds(20)) { subscriber.lines.count == 1 }
        let started = try #require(subscriber.lines.first)
        #expect(started.hasPrefix("instance/status/InstanceStartedEvent "))
        let startedBody = try JSONParser.parse(String(started.drop { $0 != " " }.dropFirst()))
        #expect(startedBody == [
            "applicationId": "app-1", "clusterId": "php.cluster", "clusterInstanceId": "ci-1", "instanceId": nil,
            "memberId": "member-1", "networkPartitionId": "np-1", "partitionId": "p-1", "serviceName": "php",
        ])
        // Not activated while the port is closed.
        try await Task.sleep(for: .seconds(2))
        #expect(subscriber.lines.count == 1)
        try listener.open()
        try await waitUntil(.seconds(20)) { subscriber.lines.count == 2 }
        let activated = subscriber.lines[1]
        #expect(activated.hasPrefix("instance/status/InstanceActivatedEvent "))
        #expect(try JSONParser.parse(String(activated.drop { $0 != " " }.dropFirst()))["applicationId"] == nil)

        let environment = try String(contentsOf: root.appendingPathComponent("started.env"), encoding: .utf8)
        #expect(environment.contains("STRATOS_MEMBER_ID=member-1") && environment.contains("STRATOS_EVENT=InstanceStartedEvent"))
        #expect(environment.contains("STRATOS_MB_IP=127.0.0.1") && environment.contains("STRATOS_PORTS=\(appPort)"))

        try await publish(port: broker.port, topic: "instance/notifier/InstanceCleanupMemberEvent", #"{"memberId": "member-1"}"#)
        try await waitUntil(.seconds(20)) { subscriber.lines.count == 4 }
        #expect(subscriber.lines[2].hasPrefix("instance/status/InstanceMaintenanceModeEvent "))
        #expect(subscriber.lines[3].hasPrefix("instance/status/InstanceReadyToShutdownEvent "))
        // Activated, MaintenanceMode and ReadyToShutdown carry the same fields, without applicationId.
        let memberFields: JSONValue = [
            "clusterId": "php.cluster", "clusterInstanceId": "ci-1", "instanceId": nil, "memberId": "member-1",
            "networkPartitionId": "np-1", "partitionId": "p-1", "serviceName": "php",
        ]
        for line in subscriber.lines.dropFirst() {
            #expect(try JSONParser.parse(String(line.drop { $0 != " " }.dropFirst())) == memberFields, "\(line)")
        }
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("clean.out").path))

        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(15)) == 0, "\(agent.log)")
        _ = listener
    }

    func publish(port: Int, topic: String, _ message: String) async throws {
        let published = try await runCommand(
            URL(fileURLWithPath: "/usr/bin/mosquitto_pub"), ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-m", message])
        guard published.status == 0 else { throw Failure("mosquitto_pub failed: \(published.errors)") }
    }

    @Test("with topology.wait and payload.url: launch parameters fetched over HTTP, InstanceStarted only once the member is initialized")
    func topologyWait() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cartridge-\(UUID().uuidString)")
        let web = root.appendingPathComponent("web")
        try FileManager.default.createDirectory(at: web, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let listener = try LoopbackPort()
        try listener.open()
        let appPort = listener.port
        try "SERVICE_NAME=php,CLUSTER_ID=php.cluster,MEMBER_ID=member-2,PORTS=\(appPort)".write(to: web.appendingPathComponent("user-data"), atomically: true, encoding: .utf8)
        // Port 0: the server picks a free port itself (no race with other tests) and prints it.
        let serverOutput = root.appendingPathComponent("http-server.out")
        _ = FileManager.default.createFile(atPath: serverOutput.path, contents: nil)
        let serverProcess = Process()
        serverProcess.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        serverProcess.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", web.path]
        serverProcess.standardOutput = try FileHandle(forWritingTo: serverOutput)
        serverProcess.standardError = FileHandle.nullDevice
        let server = try ChildProcess(starting: serverProcess)
        defer { server.signal(SIGTERM) }
        var announcedPort: Int?
        let serving = ContinuousClock.now.advanced(by: .seconds(30))
        while announcedPort == nil {
            let printed = (try? String(contentsOf: serverOutput, encoding: .utf8)) ?? ""
            announcedPort = printed.firstMatch(of: /port (\d+)/).flatMap { Int($0.1) }
            guard announcedPort != nil || (server.isRunning && ContinuousClock.now < serving) else {
                throw Failure("python3 -m http.server did not start: \(printed)")
            }
            if announcedPort == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let webPort = announcedPort!

        let broker = try await MosquittoBroker()
        let subscriber = try await IndependentSubscriber(broker: broker, topic: "#")
        try """
            [agent]
            mb.urls = 127.0.0.1:\(broker.port)
            topology.wait = true
            payload.url = http://127.0.0.1:\(webPort)/user-data
            port.check.timeout = 20000
            """.write(to: root.appendingPathComponent("agent.conf"), atomically: true, encoding: .utf8)
        let agent = try AgentProcess(afm: nil, stateDirectory: root.appendingPathComponent("state"), arguments: ["--config", root.appendingPathComponent("agent.conf").path])
        try await waitUntil(.seconds(20)) { subscriber.lines.contains { $0.hasPrefix("initializer/CompleteTopologyRequestEvent ") } }
        let created = #"{"topology": {"initialized": true, "serviceMap": {"php": {"clusterIdClusterMap": {"php.cluster": {"memberMap": {"member-2": {"memberStateManager": {"stateStack": ["Created"]}}}}}}}}}"#
        try await publish(port: broker.port, topic: "topology/CompleteTopologyEvent", created)
        try await Task.sleep(for: .seconds(2))
        #expect(!subscriber.lines.contains { $0.hasPrefix("instance/status/InstanceStartedEvent") }, "not started before the member is initialized")
        try await publish(port: broker.port, topic: "topology/MemberInitializedEvent", #"{"memberId": "member-2", "serviceName": "php", "clusterId": "php.cluster"}"#)
        try await waitUntil(.seconds(20)) { subscriber.lines.contains { $0.hasPrefix("instance/status/InstanceActivatedEvent") } }
        let topics = subscriber.lines.map { String($0.prefix { $0 != " " }) }.filter { $0.hasPrefix("initializer/") || $0.hasPrefix("instance/status/") }
        #expect(topics == [
            "initializer/CompleteTopologyRequestEvent", "initializer/CompleteTenantRequestEvent",
            "instance/status/InstanceStartedEvent", "instance/status/InstanceActivatedEvent",
        ])
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(15)) == 0, "\(agent.log)")
        _ = listener
    }

    @Test("fleet events run their extensions with the reference's gating and values")
    func eventExtensions() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cartridge-\(UUID().uuidString)")
        let extensions = root.appendingPathComponent("extensions")
        try FileManager.default.createDirectory(at: extensions, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for event in ["CompleteTopologyEvent", "CompleteTenantEvent", "MemberActivatedEvent", "ApplicationSignUpRemovedEvent", "ArtifactUpdatedEvent"] {
            let file = extensions.appendingPathComponent("\(event).sh")
            try "#!/bin/sh\nenv | grep '^STRATOS_' | sort >> \(root.path)/\(event).env\necho --- >> \(root.path)/\(event).env\n".write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
        let broker = try await MosquittoBroker()
        try """
            [agent]
            mb.urls = 127.0.0.1:\(broker.port)
            extensions.dir = \(extensions.path)
            port.check.timeout = 0
            """.write(to: root.appendingPathComponent("agent.conf"), atomically: true, encoding: .utf8)
        try "SERVICE_NAME=php,CLUSTER_ID=c1,MEMBER_ID=m1,PORTS=1".write(to: root.appendingPathComponent("launch-params"), atomically: true, encoding: .utf8)
        let agent = try AgentProcess(afm: nil, stateDirectory: root.appendingPathComponent("state"),
                                     arguments: ["--config", root.appendingPathComponent("agent.conf").path, "--launch-params", root.appendingPathComponent("launch-params").path])
        try await waitUntil(.seconds(20)) { agent.log.contains("connected to message broker") }
        try await Task.sleep(for: .milliseconds(500))
        let topology = #"{"topology": {"serviceMap": {"php": {"clusterIdClusterMap": {"c1": {"memberMap": {"m3": {"memberStateManager": {"stateStack": ["Created", "Initialized"]}}, "m4": {"memberStateManager": {"stateStack": ["Initialized", "Active"]}}}}}}}}}"#
        try await publish(port: broker.port, topic: "topology/CompleteTopologyEvent", topology)
        try await publish(port: broker.port, topic: "topology/CompleteTopologyEvent", topology)
        try await publish(port: broker.port, topic: "topology/MemberActivatedEvent", #"{"memberId": "m4", "serviceName": "php", "clusterId": "c1"}"#)
        try await publish(port: broker.port, topic: "topology/MemberActivatedEvent", #"{"memberId": "m3", "serviceName": "php", "clusterId": "c1"}"#)
        try await publish(port: broker.port, topic: "tenant/CompleteTenantEvent", #"{"tenants": [{"tenantId": 1, "tenantDomain": "a.example"}]}"#)
        try await publish(port: broker.port, topic: "tenant/CompleteTenantEvent", #"{"tenants": []}"#)
        try await publish(port: broker.port, topic: "instance/notifier/ArtifactUpdatedEvent", #"{"clusterId": "other", "repoURL": "https://git.example/x.git"}"#)
        try await publish(port: broker.port, topic: "instance/notifier/ArtifactUpdatedEvent", #"{"clusterId": "c1", "repoURL": "https://git.example/app.git", "status": "created"}"#)
        try await publish(port: broker.port, topic: "application/signup/ApplicationSignUpRemovedEvent", #"{"applicationId": "app", "tenantId": 1}"#)
        func runs(_ event: String) -> [String] {
            ((try? String(contentsOf: root.appendingPathComponent("\(event).env"), encoding: .utf8)) ?? "")
                .components(separatedBy: "---\n").filter { !$0.isEmpty }
        }
        try await waitUntil(.seconds(20)) { runs("ApplicationSignUpRemovedEvent").count == 1 }
        #expect(runs("CompleteTopologyEvent").count == 1, "only the first complete topology runs its extension")
        #expect(runs("CompleteTopologyEvent").first?.contains(#"STRATOS_MEMBER_LIST_JSON={"m3""#) == true)
        #expect(runs("MemberActivatedEvent").count == 1, "only for a member still Initialized in the topology")
        #expect(runs("CompleteTenantEvent").count == 1)
        #expect(runs("CompleteTenantEvent").first?.contains("a.example") == true)
        #expect(runs("ArtifactUpdatedEvent").count == 1, "only for this cluster")
        #expect(runs("ArtifactUpdatedEvent").first?.contains("STRATOS_ARTIFACT_UPDATED_REPO_URL=https://git.example/app.git") == true)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(15)) == 0, "\(agent.log)")
    }

    @Test("both roles at once: the AFM URL from afm.url in agent.conf, tasks run while the lifecycle is announced")
    func bothRoles() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cartridge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let afm = try AFMProcess(environment: ["DATABASE_URI": "sqlite://", "AGENT_RETURN_TIME": "1"])
        try await afm.waitUntilServing()
        defer { afm.requestStop() }
        let broker = try await MosquittoBroker()
        let subscriber = try await IndependentSubscriber(broker: broker, topic: "instance/status/#")
        try "[agent]\nmb.urls = 127.0.0.1:\(broker.port)\nafm.url = \(afm.baseURL.absoluteString)\n"
            .write(to: root.appendingPathComponent("agent.conf"), atomically: true, encoding: .utf8)
        let id = try await BPMS.createTask(on: afm.baseURL, type: "wait", data: ["time": 0])
        let agent = try AgentProcess(afm: nil, stateDirectory: root.appendingPathComponent("state"), arguments: ["--config", root.appendingPathComponent("agent.conf").path])
        let outcome = try await BPMS.waitForOutcomes(on: afm.baseURL, ids: [id], timeout: .seconds(20))[id]
        #expect(outcome?["task_completed"] != nil)
        try await waitUntil(.seconds(20)) { subscriber.lines.contains { $0.hasPrefix("instance/status/InstanceActivatedEvent") } }
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(15)) == 0, "\(agent.log)")
    }

    @Test("the cartridge side refuses to start without a broker, with one line naming the key")
    func noBroker() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cartridge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "[agent]\nlisten.address = 127.0.0.1\n".write(to: root.appendingPathComponent("agent.conf"), atomically: true, encoding: .utf8)
        let agent = try AgentProcess(afm: nil, stateDirectory: root.appendingPathComponent("state"), arguments: ["--config", root.appendingPathComponent("agent.conf").path])
        #expect(await agent.waitForExit(timeout: .seconds(10)) == 1)
        #expect(agent.log.split(separator: "\n").map(String.init) == ["afm-agent: mb.urls: no message broker configured (set mb.urls, or mb.ip and mb.port)"])
    }
}
