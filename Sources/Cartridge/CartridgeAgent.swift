import Foundation
import JSON
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
/// InstanceReadyToShutdownEvent. Each status event is published at most once. Once activated, with
/// `cep.stats.publisher.enabled`, health statistics go to the CEP receivers until the agent stops.
public final class CartridgeAgent: Sendable {
    public static let subscriptions = ["topology/#", "instance/#", "tenant/#", "application/signup/#"]

    let settings: CartridgeSettings
    let mqtt: MQTTClient
    let extensions: ExtensionRunner
    let logger: Logger
    private let published = PublishedEvents()
    private let initialization = Initialization()
    private let topology = LatestTopology()
    private let tenants = FirstSeen()

    public init(settings: CartridgeSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        mqtt = MQTTClient(
            configuration: MQTTClient.Configuration(brokers: settings.brokers, username: settings.brokerUsername, password: settings.brokerPassword),
            logger: logger)
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
        if let lvs = settings.payload["LVS_VIRTUAL_IP"] {
            var values = extensionValues(event: "CreateLVSDummyInterface")
            let parts = lvs.split(separator: "|").map(String.init)
            values["LVS_DUMMY_VIRTUAL_IP"] = parts.first
            values["LVS_SUBNET_MASK"] = parts.count > 1 ? parts[1] : nil
            await extensions.run("CreateLVSDummyInterface", values: values)
        }
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
        if let mapping = settings.payload["PERSISTENCE_MAPPING"] {
            var values = extensionValues(event: "VolumeMount")
            values["VALUE1"] = mapping
            await extensions.run("VolumeMount", values: values)
        }
        // As the reference: health statistics start once the instance is activated, and run until the agent stops.
        if settings.cepStatsEnabled {
            await HealthPublisher(settings: settings, logger: logger).run()
        }
    }

    /// The full Stratos start order: ask for the complete topology, wait until this member is Initialized (in the
    /// topology, or by a MemberInitializedEvent), then ask for the tenants.
    private func waitForInitialization() async {
        logger.notice("waiting for the topology to initialize member \(settings.memberID ?? "?")")
        await publishRequest("initializer/CompleteTopologyRequestEvent")
        await initialization.wait()
        if Task.isCancelled { return }
        logger.notice("member \(settings.memberID ?? "?") is initialized")
        await publishRequest("initializer/CompleteTenantRequestEvent")
    }

    private func publishRequest(_ topic: String) async {
        if !(await mqtt.publish(topic: topic, payload: Array("{}".utf8), timeout: .seconds(settings.publisherTimeout))) {
            logger.warning("\(topic) was dropped after \(settings.publisherTimeout) s without a broker")
        }
    }

    /// Whether a CompleteTopologyEvent shows this member with the status `Initialized`.
    func memberIsInitialized(in topology: StratosTopology) -> Bool {
        guard let service = settings.serviceName, let cluster = settings.clusterID, let member = settings.memberID else { return false }
        return topology.status(of: member, service: service, cluster: cluster) == "Initialized"
    }

    private func dispatchIncoming() async {
        for await message in mqtt.messages {
            let event = message.topic.split(separator: "/").last.map(String.init) ?? message.topic
            let body = (try? JSONParser.parse(message.payload)) ?? [:]
            func text(_ field: String) -> String? { body[field]?.stringValue }
            switch event {
            case "CompleteTopologyEvent":
                let decoded = StratosTopology(event: body)
                if let decoded, memberIsInitialized(in: decoded) { initialization.markInitialized() }
                let first = topology.replace(with: decoded)
                if first {
                    var values = extensionValues(event: event)
                    values["TOPOLOGY_JSON"] = String(decoding: message.payload, as: UTF8.self)
                    if let service = settings.serviceName, let cluster = settings.clusterID {
                        values["MEMBER_LIST_JSON"] = decoded?.memberListJSON(service: service, cluster: cluster)
                    }
                    await extensions.run(event, values: values)
                }
            case "MemberInitializedEvent":
                if text("memberId") == settings.memberID && settings.memberID != nil { initialization.markInitialized() }
                if topology.isKnown { await extensions.run(event, values: extensionValues(event: event)) }
            case "MemberActivatedEvent", "MemberStartedEvent", "MemberSuspendedEvent", "MemberTerminatedEvent":
                // As the reference: only for a member whose status in the local topology is still Initialized.
                if let memberID = text("memberId"), let service = text("serviceName"), let cluster = text("clusterId"),
                    topology.latest?.status(of: memberID, service: service, cluster: cluster) == "Initialized"
                {
                    await extensions.run(event, values: extensionValues(event: event))
                }
            case "CompleteTenantEvent":
                if tenants.markSeen() {
                    var values = extensionValues(event: event)
                    values["TENANT_LIST_JSON"] = body["tenants"].map { JSONWriter.string(from: $0) } ?? "[]"
                    await extensions.run(event, values: values)
                }
            case "ArtifactUpdatedEvent" where text("clusterId") == settings.clusterID && settings.clusterID != nil:
                // The agent does not check artifacts out itself; the extension gets what the event says.
                var values = extensionValues(event: event)
                for (field, key) in [("clusterId", "CLUSTER_ID"), ("tenantId", "TENANT_ID"), ("repoURL", "REPO_URL"),
                                     ("repoPassword", "REPO_PASSWORD"), ("repoUserName", "REPO_USERNAME"), ("status", "STATUS")] {
                    if let value = body[field] { values["ARTIFACT_UPDATED_" + key] = value.stringValue ?? JSONWriter.string(from: value) }
                }
                await extensions.run(event, values: values)
            case "ApplicationSignUpRemovedEvent":
                await extensions.run(event, values: extensionValues(event: event))
            case "InstanceCleanupMemberEvent" where text("memberId") == settings.memberID && settings.memberID != nil:
                await cleanUp(event)
            case "InstanceCleanupClusterEvent"
            where text("clusterId") == settings.clusterID && settings.clusterID != nil
                && text("clusterInstanceId") == settings.clusterInstanceID:
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
        values["LB_IP"] = settings.loadBalancerPrivateIP
        values["LB_PUBLIC_IP"] = settings.loadBalancerPublicIP
        values["PARAM_FILE_PATH"] = settings.payload["param.file.path"]
        values["PERSISTENCE_MAPPINGS"] = settings.payload["PERSISTENCE_MAPPING"]
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
    /// Finished when the member is initialized (again and again is harmless): its one waiter's loop ends.
    private let signal = AsyncStream<Void>.makeStream()

    func markInitialized() {
        signal.continuation.finish()
    }

    /// Returns once the member is initialized, or when the calling task is cancelled. One waiter at a time.
    func wait() async {
        for await _ in signal.stream {}
    }
}

/// The latest CompleteTopologyEvent, decoded.
final class LatestTopology: Sendable {
    private let state = Mutex<(received: Bool, topology: StratosTopology?)>((false, nil))

    var latest: StratosTopology? { state.withLock { $0.topology } }
    var isKnown: Bool { state.withLock { $0.received } }

    /// Stores the topology of an event (nil when the event held none); answers whether it is the first event.
    func replace(with new: StratosTopology?) -> Bool {
        state.withLock { current in
            defer { current = (true, new) }
            return !current.received
        }
    }
}

/// Whether something happened before: `markSeen` answers true the first time only.
final class FirstSeen: Sendable {
    private let seen = Mutex(false)

    func markSeen() -> Bool {
        seen.withLock { seen in
            defer { seen = true }
            return !seen
        }
    }
}
