import Cartridge
import Foundation
import Logging
import MQTT
import Testing

@Suite("Stratos status events and extensions")
struct StatusEventTests {
    func settings() throws -> CartridgeSettings {
        try CartridgeSettings.resolve(ConfigurationSources(
            agentConf: ["mb.urls": "b:1883"],
            payload: ["MEMBER_ID": "m\"1", "CLUSTER_ID": "c1", "SERVICE_NAME": "php", "APPLICATION_ID": "app"]))
    }

    @Test("payloads carry every field, sorted, null when unknown; only InstanceStartedEvent has applicationId")
    func payloads() throws {
        let started = String(decoding: InstanceStatusEvent.started.payload(for: try settings()), as: UTF8.self)
        #expect(started == #"{"applicationId": "app", "clusterId": "c1", "clusterInstanceId": null, "instanceId": null, "memberId": "m\"1", "networkPartitionId": null, "partitionId": null, "serviceName": "php"}"#)
        let activated = String(decoding: InstanceStatusEvent.activated.payload(for: try settings()), as: UTF8.self)
        #expect(!activated.contains("applicationId") && activated.hasPrefix(#"{"clusterId": "c1""#))
        #expect(InstanceStatusEvent.readyToShutdown.topic == "instance/status/InstanceReadyToShutdownEvent")
    }

    @Test("a missing extension is skipped, a failing one reported, neither throws")
    func extensions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ext-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let failing = directory.appendingPathComponent("clean.sh")
        try "#!/bin/sh\nexit 7\n".write(to: failing, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: failing.path)
        let slow = directory.appendingPathComponent("StartServers.sh")
        try "#!/bin/sh\nsleep 300\n".write(to: slow, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: slow.path)
        let runner = ExtensionRunner(directory: directory.path, timeout: .seconds(1), logger: Logger(label: "test"))
        #expect(await runner.run("InstanceStartedEvent", values: [:]) == false)
        #expect(await runner.run("clean", values: [:]) == false)
        let clock = ContinuousClock()
        let elapsed = await clock.measure { #expect(await runner.run("StartServers", values: [:]) == false) }
        // Far below the script's 300 s: the 1 s limit stopped it (the margin is for a busy machine).
        #expect(elapsed < .seconds(100))
    }

    @Test("the port probe sees an open port and gives up on a closed one")
    func portProbe() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 && listen(listener, 4) == 0
            }
        }
        try #require(listening)
        let open = Int(UInt16(bigEndian: address.sin_port))
        #expect(await PortProbe.waitUntilOpen(host: "127.0.0.1", ports: [open], timeout: .seconds(2), interval: .milliseconds(100)))

        let closed = 1  // nothing listens on port 1 for an unprivileged test
        #expect(await PortProbe.waitUntilOpen(host: "127.0.0.1", ports: [open, closed], timeout: .milliseconds(300), interval: .milliseconds(100)) == false)
    }
}
