import FleetTestSupport
import Foundation
import Logging
import MQTT
import Testing

/// The MQTT client against real Mosquitto brokers on loopback, checked by an independent subscriber.
@Suite("MQTT client over libmosquitto", .enabled(if: MosquittoBroker.isInstalled, Comment(rawValue: MosquittoBroker.skipReason)))
struct MQTTClientTests {
    func client(_ brokers: [String], username: String? = nil, password: String? = nil, backoff: [Int] = [1]) -> MQTTClient {
        var configuration = MQTTClient.Configuration(brokers: brokers.map { BrokerAddress(parsing: $0)! }, username: username, password: password)
        configuration.backoff = backoff
        return MQTTClient(configuration: configuration, logger: Logger(label: "mqtt-test"))
    }

    func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw Failure("condition not met within \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("publishes with acknowledgement and receives on its subscriptions")
    func publishAndSubscribe() async throws {
        let broker = try await MosquittoBroker()
        let subscriber = try await IndependentSubscriber(broker: broker, topic: "instance/#")
        let mqtt = client([broker.address])
        defer { mqtt.stop() }
        mqtt.subscribe("topology/#")
        mqtt.start()
        try await waitUntil(.seconds(10)) { mqtt.isConnected }
        #expect(await mqtt.publish(topic: "instance/status/InstanceStartedEvent", payload: Array(#"{"memberId":"m1"}"#.utf8), timeout: .seconds(10)))
        try await waitUntil(.seconds(10)) { !subscriber.lines.isEmpty }
        #expect(subscriber.lines == [#"instance/status/InstanceStartedEvent {"memberId":"m1"}"#])

        let published = try await runCommand(
            URL(fileURLWithPath: "/usr/bin/mosquitto_pub"),
            ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "topology/MemberActivatedEvent", "-m", "{}"])
        #expect(published.status == 0, "mosquitto_pub: \(published.errors)")
        var iterator = mqtt.messages.makeAsyncIterator()
        let message = await iterator.next()
        #expect(message == MQTTClient.Message(topic: "topology/MemberActivatedEvent", payload: Array("{}".utf8)))
    }

    @Test("fails over to the next broker when the first is down at start, and back to the first after the connected one dies")
    func failover() async throws {
        // Bound and never listening: refuses connections, and no other test can take the port meanwhile.
        var down: LoopbackPort? = try LoopbackPort()
        let downPort = down!.port
        let second = try await MosquittoBroker()
        let mqtt = client(["127.0.0.1:\(downPort)", second.address])
        defer { mqtt.stop() }
        mqtt.start()
        try await waitUntil(.seconds(10)) { mqtt.currentBroker?.port == second.port }

        down = nil
        let first = try await MosquittoBroker(port: downPort)
        await second.kill()
        try await waitUntil(.seconds(15)) { mqtt.currentBroker?.port == first.port }
        let subscriber = try await IndependentSubscriber(broker: first, topic: "instance/#")
        #expect(await mqtt.publish(topic: "instance/status/InstanceActivatedEvent", payload: Array("{}".utf8), timeout: .seconds(10)))
        try await waitUntil(.seconds(10)) { subscriber.lines.count == 1 }
    }

    @Test("subscriptions are restored after a reconnect")
    func resubscribe() async throws {
        let port = try freeLoopbackPort()
        var broker: MosquittoBroker? = try await MosquittoBroker(port: port)
        let mqtt = client(["127.0.0.1:\(port)"])
        defer { mqtt.stop() }
        mqtt.subscribe("tenant/#")
        mqtt.start()
        try await waitUntil(.seconds(10)) { mqtt.isConnected }
        await broker?.kill()
        broker = nil
        try await waitUntil(.seconds(10)) { !mqtt.isConnected }
        broker = try await MosquittoBroker(port: port)
        try await waitUntil(.seconds(15)) { mqtt.isConnected }
        try await Task.sleep(for: .milliseconds(300))
        let published = try await runCommand(
            URL(fileURLWithPath: "/usr/bin/mosquitto_pub"),
            ["-h", "127.0.0.1", "-p", String(port), "-t", "tenant/CompleteTenantEvent", "-m", "{\"tenants\":[]}"])
        #expect(published.status == 0, "mosquitto_pub: \(published.errors)")
        var iterator = mqtt.messages.makeAsyncIterator()
        #expect(await iterator.next()?.topic == "tenant/CompleteTenantEvent")
        _ = broker
    }

    @Test("an event published while every broker is down arrives once one comes back within the timeout, and is dropped after it")
    func publishWhileDown() async throws {
        let port = try freeLoopbackPort()
        let mqtt = client(["127.0.0.1:\(port)"])
        defer { mqtt.stop() }
        mqtt.start()
        async let delivered = mqtt.publish(topic: "instance/status/InstanceStartedEvent", payload: Array("{}".utf8), timeout: .seconds(20))
        try await Task.sleep(for: .seconds(2))
        let broker = try await MosquittoBroker(port: port)
        #expect(await delivered)
        // The broker's own log shows what it received (a subscriber started now could miss it).
        try await broker.waitForLog(containing: "'instance/status/InstanceStartedEvent'")

        let unreachable = try LoopbackPort()
        defer { withExtendedLifetime(unreachable) {} }
        let nowhere = client(["127.0.0.1:\(unreachable.port)"])
        defer { nowhere.stop() }
        nowhere.start()
        let clock = ContinuousClock()
        var dropped = true
        let elapsed = await clock.measure { dropped = !(await nowhere.publish(topic: "x", payload: [], timeout: .seconds(2))) }
        #expect(dropped && elapsed >= .seconds(2))
    }

    @Test("wrong credentials are reported as refused and retried; the right ones connect")
    func credentials() async throws {
        let broker = try await MosquittoBroker(username: "agent", password: "s3cret")
        let wrong = client([broker.address], username: "agent", password: "nope")
        defer { wrong.stop() }
        var events = wrong.events.makeAsyncIterator()
        wrong.start()
        var refusals = 0
        while refusals < 2, let event = await events.next() {
            if case .refused(_, let reason) = event {
                #expect(reason.lowercased().contains("not authorised") || reason.lowercased().contains("not authorized"), "\(reason)")
                refusals += 1
            }
        }
        #expect(refusals == 2)
        #expect(!wrong.isConnected)

        let right = client([broker.address], username: "agent", password: "s3cret")
        defer { right.stop() }
        right.start()
        try await waitUntil(.seconds(10)) { right.isConnected }
    }

    @Test("broker addresses are host:port, IPv6 in brackets")
    func addresses() {
        #expect(BrokerAddress(parsing: "mb.example:1883") == BrokerAddress(host: "mb.example", port: 1883))
        #expect(BrokerAddress(parsing: "[::1]:1883") == BrokerAddress(host: "::1", port: 1883))
        for bad in ["mb.example", "mb:x", ":1883", "mb:1883:1", "mb:0", "mb:70000", "[::1]1883", "::1:1883"] {
            #expect(BrokerAddress(parsing: bad) == nil, "\(bad)")
        }
        #expect(FailoverBackoff.sequence.prefix(4) == [2, 2, 5, 5])
        #expect(FailoverBackoff.delay(afterFailedRounds: 100) == 60)
    }
}
