import Foundation
import Logging
import MQTT
import Synchronization

/// The cartridge side of the agent: announces the instance's lifecycle on the message broker, reacts to the
/// fleet's cleanup events, and runs the operator's extensions.
///
/// Start order (without a Stratos manager to wait for): connect and subscribe, run the `InstanceStartedEvent`
/// extension and publish InstanceStartedEvent, run `StartServers`, wait for every `PORTS` entry to accept
/// connections on `listen.address`, publish InstanceActivatedEvent and run its extension. A cleanup event for this
/// member or cluster publishes InstanceMaintenanceModeEvent, runs `clean`, then publishes
/// InstanceReadyToShutdownEvent. Each status event is published at most once.
public final class CartridgeAgent: Sendable {
    public static let subscriptions = ["topology/#", "instance/#", "tenant/#", "application/signup/#"]

    let settings: CartridgeSettings
    let mqtt: MQTTClient
    let extensions: ExtensionRunner
    let logger: Logger
    private let published = PublishedEvents()
    private let initialization = Initialization()

    public init(settings: CartridgeSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        var configuration = MQTTClient.Configuration(brokers: settings.brokers, username: settings.brokerUsername, password: settings.brokerPassword)
        configuration.clientID = nil
        mqtt = MQTTClient(configuration: configuration, logger: logger)
        extensions = ExtensionRunner(directory: settings.extensionsDirectory, timeout: .seconds(settings.extensionTimeout), logger: logger)
    }

    /// Runs until the task is cancelled.
    public func run() async {
        for filter in Self.subscriptions { mqtt.subscribe(filter) }
        mqtt.start()
        defer { mqtt.stop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.dispatchIncoming() }
            group.addTask { await self.startLifecycle() }
            await group.next()
            await group.next()
        }
    }

    private func startLifecycle() async {
        if settings.topologyWait {
            await waitForInitialization()
            if Task.isCancelled { return }
        }
        await extensions.run("InstanceStartedEvent", values: extensionValues(event: "InstanceStartedEvent"))
        await publish(.started)
        await extensions.run("StartServers", values: extensionValues(event: "StartServers"))
        let open = await PortProbe.waitUntilOpen(
            host: settings.listenAddress, ports: settings.ports, timeout: .milliseconds(settings.portCheckTimeout))
        guard open else {
            logger.error("ports \(settings.ports) did not open on \(settings.listenAddress) within \(settings.portCheckTimeout) ms; the instance is not activated")
            return
        }
        await publish(.activated)
        await extensions.run("InstanceActivatedEvent", values: extensionValues(event: "InstanceActivatedEvent"))
    }

    /// The full Stratos start order: ask for the complete topology, wait until this member is Initialized (in the
    /// topology, or by a MemberInitializedEvent), then ask for the tenants.
    private func waitForInitialization() async {
        logger.notice("waiting for the topology to initialize member \(settings.memberID ?? "?")")
        await publishRequest("initializer/CompleteTopologyRequestEvent")
        while !Task.isCancelled && !initialization.isInitialized {
            try? await Task.sleep(for: .milliseconds(200))
        }
        if Task.isCancelled { return }
        logger.notice("member \(settings.memberID ?? "?") is initialized")
        await publishRequest("initializer/CompleteTenantRequestEvent")
    }

    private func publishRequest(_ topic: String) async {
        if !(await mqtt.publish(topic: topic, payload: Array("{}".utf8), timeout: .seconds(settings.publisherTimeout))) {
            logger.warning("\(topic) was dropped after \(settings.publisherTimeout) s without a broker")
        }
    }

    /// Whether a CompleteTopologyEvent shows this member with the status `Initialized` (the last state of its
    /// state stack).
    func memberIsInitialized(inTopology body: [String: Any]) -> Bool {
        guard let service = settings.serviceName, let cluster = settings.clusterID, let member = settings.memberID,
            let topology = body["topology"] as? [String: Any], let services = topology["serviceMap"] as? [String: Any],
            let clusters = (services[service] as? [String: Any])?["clusterIdClusterMap"] as? [String: Any],
            let members = (clusters[cluster] as? [String: Any])?["memberMap"] as? [String: Any],
            let states = ((members[member] as? [String: Any])?["memberStateManager"] as? [String: Any])?["stateStack"] as? [Any]
        else { return false }
        return states.last as? String == "Initialized"
    }

    private func dispatchIncoming() async {
        for await message in mqtt.messages {
            let event = message.topic.split(separator: "/").last.map(String.init) ?? message.topic
            let body = (try? JSONSerialization.jsonObject(with: Data(message.payload))) as? [String: Any] ?? [:]
            switch event {
            case "CompleteTopologyEvent":
                if memberIsInitialized(inTopology: body) { initialization.markInitialized() }
            case "MemberInitializedEvent" where body["memberId"] as? String == settings.memberID && settings.memberID != nil:
                initialization.markInitialized()
            case "InstanceCleanupMemberEvent" where body["memberId"] as? String == settings.memberID && settings.memberID != nil:
                await cleanUp(event)
            case "InstanceCleanupClusterEvent"
            where body["clusterId"] as? String == settings.clusterID && settings.clusterID != nil
                && body["clusterInstanceId"] as? String == settings.clusterInstanceID:
                await cleanUp(event)
            default:
                logger.debug("event \(event) on \(message.topic)")
            }
        }
    }

    private func cleanUp(_ trigger: String) async {
        logger.notice("\(trigger) for this instance: entering maintenance mode")
        await publish(.maintenanceMode)
        await extensions.run("clean", values: extensionValues(event: "clean"))
        await publish(.readyToShutdown)
    }

    private func publish(_ event: InstanceStatusEvent) async {
        guard published.claim(event) else { return }
        let delivered = await mqtt.publish(
            topic: event.topic, payload: event.payload(for: settings), timeout: .seconds(settings.publisherTimeout))
        if delivered {
            logger.notice("published \(event.rawValue)")
        } else {
            logger.warning("\(event.rawValue) was dropped after \(settings.publisherTimeout) s without a broker")
        }
    }

    /// The values an extension sees as `STRATOS_<KEY>`: the settings, then every launch parameter over them.
    func extensionValues(event: String) -> [String: String] {
        var values: [String: String] = [:]
        values["MB_IP"] = mqtt.currentBroker?.host ?? settings.brokers.first?.host
        values["APPLICATION_PATH"] = settings.applicationPath
        values["SERVICE_NAME"] = settings.serviceName
        values["CLUSTER_ID"] = settings.clusterID
        values["MEMBER_ID"] = settings.memberID
        values["PORTS"] = settings.ports.map(String.init).joined(separator: "|")
        for (key, value) in settings.payload { values[key] = value }
        values["EVENT"] = event
        return values.compactMapValues { $0.isEmpty ? nil : $0 }
    }
}

/// Which status events were published already: each at most once per process.
final class PublishedEvents: Sendable {
    private let events = Mutex<Set<InstanceStatusEvent>>([])

    func claim(_ event: InstanceStatusEvent) -> Bool {
        events.withLock { $0.insert(event).inserted }
    }
}

/// Whether this member is known to be Initialized, set from the subscriber's messages.
final class Initialization: Sendable {
    private let initialized = Mutex(false)

    var isInitialized: Bool { initialized.withLock { $0 } }

    func markInitialized() {
        initialized.withLock { $0 = true }
    }
}
