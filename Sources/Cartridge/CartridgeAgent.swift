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
                let first = topology.replace(with: message.payload)
                if first {
                    var values = extensionValues(event: event)
                    values["TOPOLOGY_JSON"] = String(decoding: message.payload, as: UTF8.self)
                    values["MEMBER_LIST_JSON"] = memberListJSON(body)
                    await extensions.run(event, values: values)
                }
            case "MemberInitializedEvent":
                if body["memberId"] as? String == settings.memberID && settings.memberID != nil { initialization.markInitialized() }
                if topology.isKnown { await extensions.run(event, values: extensionValues(event: event)) }
            case "MemberActivatedEvent", "MemberStartedEvent", "MemberSuspendedEvent", "MemberTerminatedEvent":
                // As the reference: only for a member whose status in the local topology is still Initialized.
                if let memberID = body["memberId"] as? String, memberStatus(memberID, service: body["serviceName"] as? String, cluster: body["clusterId"] as? String) == "Initialized" {
                    await extensions.run(event, values: extensionValues(event: event))
                }
            case "CompleteTenantEvent":
                if tenants.markSeen() {
                    var values = extensionValues(event: event)
                    values["TENANT_LIST_JSON"] = (body["tenants"]).flatMap { try? JSONSerialization.data(withJSONObject: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? "[]"
                    await extensions.run(event, values: values)
                }
            case "ArtifactUpdatedEvent" where body["clusterId"] as? String == settings.clusterID && settings.clusterID != nil:
                // The agent does not check artifacts out itself; the extension gets what the event says.
                var values = extensionValues(event: event)
                for (field, key) in [("clusterId", "CLUSTER_ID"), ("tenantId", "TENANT_ID"), ("repoURL", "REPO_URL"),
                                     ("repoPassword", "REPO_PASSWORD"), ("repoUserName", "REPO_USERNAME"), ("status", "STATUS")] {
                    if let value = body[field] { values["ARTIFACT_UPDATED_" + key] = "\(value)" }
                }
                await extensions.run(event, values: values)
            case "ApplicationSignUpRemovedEvent":
                await extensions.run(event, values: extensionValues(event: event))
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

    /// This cluster's `memberMap` from a CompleteTopologyEvent, as JSON, for the extension.
    private func memberListJSON(_ body: [String: Any]) -> String? {
        guard let service = settings.serviceName, let cluster = settings.clusterID,
            let services = (body["topology"] as? [String: Any])?["serviceMap"] as? [String: Any],
            let clusters = (services[service] as? [String: Any])?["clusterIdClusterMap"] as? [String: Any],
            let members = (clusters[cluster] as? [String: Any])?["memberMap"],
            let data = try? JSONSerialization.data(withJSONObject: members, options: [.sortedKeys])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A member's status (the last state of its stack) in the latest CompleteTopologyEvent.
    private func memberStatus(_ memberID: String, service: String?, cluster: String?) -> String? {
        guard let service, let cluster, let payload = topology.latest,
            let body = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any],
            let services = (body["topology"] as? [String: Any])?["serviceMap"] as? [String: Any],
            let clusters = (services[service] as? [String: Any])?["clusterIdClusterMap"] as? [String: Any],
            let members = (clusters[cluster] as? [String: Any])?["memberMap"] as? [String: Any],
            let states = ((members[memberID] as? [String: Any])?["memberStateManager"] as? [String: Any])?["stateStack"] as? [Any]
        else { return nil }
        return states.last as? String
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
    private let initialized = Mutex(false)

    var isInitialized: Bool { initialized.withLock { $0 } }

    func markInitialized() {
        initialized.withLock { $0 = true }
    }
}

/// The latest CompleteTopologyEvent, kept as received.
final class LatestTopology: Sendable {
    private let payload = Mutex<[UInt8]?>(nil)

    var latest: [UInt8]? { payload.withLock { $0 } }
    var isKnown: Bool { latest != nil }

    /// Stores `payload`; answers whether it is the first topology.
    func replace(with new: [UInt8]) -> Bool {
        payload.withLock { current in
            defer { current = new }
            return current == nil
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
