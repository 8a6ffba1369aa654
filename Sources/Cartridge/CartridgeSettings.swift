import Foundation
import MQTT

/// The cartridge side's settings, validated: broker, CEP, identity, ports, intervals and extensions.
public struct CartridgeSettings: Sendable, Equatable {
    // Message broker.
    public var brokers: [BrokerAddress]
    public var brokerUsername: String?
    public var brokerPassword: String?
    /// Seconds a status event is retried across brokers before it is dropped (`mb.publisher.timeout`; the original
    /// compared it against milliseconds, so 900 lasted about ten days there).
    public var publisherTimeout: Int
    // Health statistics to CEP.
    public var cepStatsEnabled: Bool
    public var thriftReceivers: [BrokerAddress]
    public var thriftUsername: String?
    public var thriftPassword: String?
    public var statsInterval: Int
    /// TLS to the receivers (`thrift.ssl.enabled`, default true); plain TCP when false.
    public var thriftSSLEnabled: Bool
    /// PEM CA certificates the receivers' certificates must chain to (`thrift.ssl.ca.file`); without it they are
    /// accepted unverified, as the original agent does.
    public var thriftCAFile: String?
    // Activation.
    public var listenAddress: String
    public var ports: [Int]
    /// Milliseconds to wait for `ports` to accept connections (`port.check.timeout`).
    public var portCheckTimeout: Int
    public var topologyWait: Bool
    // Extensions and paths.
    public var applicationPath: String?
    public var extensionsDirectory: String
    public var extensionTimeout: Int
    /// Fallbacks for the extensions' `LB_IP` and `LB_PUBLIC_IP` (`lb.private.ip`, `lb.public.ip`).
    public var loadBalancerPrivateIP: String?
    public var loadBalancerPublicIP: String?
    /// Artifact synchronisation intervals, validated for the operator's scripts (`artifact.update.interval`,
    /// `artifact.clone.retries`, `artifact.clone.interval`).
    public var artifactUpdateInterval: Int
    public var artifactCloneRetries: Int
    public var artifactCloneInterval: Int
    // Identity, as the status events carry it.
    public var applicationID: String?
    public var serviceName: String?
    public var clusterID: String?
    public var clusterInstanceID: String?
    public var memberID: String?
    public var instanceID: String?
    public var networkPartitionID: String?
    public var partitionID: String?
    /// Every payload value, for the extensions' `STRATOS_<KEY>` environment.
    public var payload: [String: String]
}

extension CartridgeSettings {
    /// Resolves and validates every setting; a mistake throws one line that names the key and its source.
    public static func resolve(_ sources: ConfigurationSources) throws(CartridgeConfigurationError) -> CartridgeSettings {
        func text(_ key: String) -> String? { sources.lookup(key)?.value }
        func integer(_ key: String, default fallback: Int, minimum: Int = 0) throws(CartridgeConfigurationError) -> Int {
            guard let (value, source) = sources.lookup(key) else { return fallback }
            guard let number = Int(value), number >= minimum else {
                throw CartridgeConfigurationError("\(key) (\(source)): '\(value)' is not a whole number of at least \(minimum)")
            }
            return number
        }
        func boolean(_ key: String, default fallback: Bool) throws(CartridgeConfigurationError) -> Bool {
            guard let (value, source) = sources.lookup(key) else { return fallback }
            switch value.lowercased() {
            case "true": return true
            case "false": return false
            default: throw CartridgeConfigurationError("\(key) (\(source)): '\(value)' is not true or false")
            }
        }
        func addresses(_ key: String) throws(CartridgeConfigurationError) -> [BrokerAddress] {
            guard let (value, source) = sources.lookup(key) else { return [] }
            var result: [BrokerAddress] = []
            for entry in value.split(separator: ",") {
                guard let address = BrokerAddress(parsing: String(entry)) else {
                    throw CartridgeConfigurationError("\(key) (\(source)): '\(entry.trimmingCharacters(in: .whitespaces))' is not host:port ([address]:port for IPv6)")
                }
                result.append(address)
            }
            return result
        }

        var brokers = try addresses("mb.urls")
        if brokers.isEmpty {
            if let ip = text("mb.ip"), let port = text("mb.port") {
                guard let address = BrokerAddress(parsing: ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)") else {
                    throw CartridgeConfigurationError("mb.ip, mb.port: '\(ip)' and '\(port)' do not make a host:port")
                }
                brokers = [address]
            } else {
                throw CartridgeConfigurationError("mb.urls: no message broker configured (set mb.urls, or mb.ip and mb.port)")
            }
        }
        let cepEnabled = try boolean("cep.stats.publisher.enabled", default: false)
        let receivers = try addresses("thrift.receiver.urls")
        let thriftUsername = text("thrift.server.admin.username")
        let thriftPassword = text("thrift.server.admin.password")
        if cepEnabled {
            guard !receivers.isEmpty else {
                throw CartridgeConfigurationError("thrift.receiver.urls: cep.stats.publisher.enabled is true but no CEP receiver is configured")
            }
            guard thriftUsername != nil, thriftPassword != nil else {
                throw CartridgeConfigurationError("thrift.server.admin.username: cep.stats.publisher.enabled is true but the CEP credentials are missing")
            }
        }
        let caFile = text("thrift.ssl.ca.file")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw CartridgeConfigurationError("thrift.ssl.ca.file (\(sources.lookup("thrift.ssl.ca.file")!.source)): '\(caFile)' is not a readable file")
        }
        var ports: [Int] = []
        if let (value, source) = sources.lookup("PORTS") {
            for entry in value.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "'", with: "").split(separator: "|") {
                guard let port = Int(entry.trimmingCharacters(in: .whitespaces)), (1...65535).contains(port) else {
                    throw CartridgeConfigurationError("PORTS (\(source)): '\(entry)' is not a port number")
                }
                ports.append(port)
            }
        }
        let applicationPath = text("APPLICATION_PATH")
        if let applicationPath, !applicationPath.hasPrefix("/") {
            throw CartridgeConfigurationError("APPLICATION_PATH (\(sources.lookup("APPLICATION_PATH")!.source)): '\(applicationPath)' is not an absolute path")
        }
        return CartridgeSettings(
            brokers: brokers, brokerUsername: text("mb.username"), brokerPassword: text("mb.password"),
            publisherTimeout: try integer("mb.publisher.timeout", default: 900, minimum: 1),
            cepStatsEnabled: cepEnabled, thriftReceivers: receivers, thriftUsername: thriftUsername, thriftPassword: thriftPassword,
            statsInterval: try integer("stats.notifier.interval", default: 15, minimum: 1),
            thriftSSLEnabled: try boolean("thrift.ssl.enabled", default: true), thriftCAFile: caFile,
            listenAddress: text("listen.address") ?? "127.0.0.1", ports: ports,
            portCheckTimeout: try integer("port.check.timeout", default: 600_000, minimum: 0),
            topologyWait: try boolean("topology.wait", default: false),
            applicationPath: applicationPath, extensionsDirectory: text("extensions.dir") ?? "extensions",
            extensionTimeout: try integer("extension.timeout", default: 300, minimum: 1),
            loadBalancerPrivateIP: text("lb.private.ip"), loadBalancerPublicIP: text("lb.public.ip"),
            artifactUpdateInterval: try integer("artifact.update.interval", default: 10, minimum: 1),
            artifactCloneRetries: try integer("artifact.clone.retries", default: 5, minimum: 0),
            artifactCloneInterval: try integer("artifact.clone.interval", default: 10, minimum: 1),
            applicationID: text("APPLICATION_ID"), serviceName: text("SERVICE_NAME"), clusterID: text("CLUSTER_ID"),
            clusterInstanceID: text("CLUSTER_INSTANCE_ID"), memberID: text("MEMBER_ID"), instanceID: text("INSTANCE_ID"),
            networkPartitionID: text("NETWORK_PARTITION_ID"), partitionID: text("PARTITION_ID"),
            payload: sources.payload.compactMapValues(ConfigurationSources.present))
    }

    /// Whether the cartridge side is on: an agent.conf was given, or an `mb.*` setting is in the environment.
    public static func isRequested(configFileGiven: Bool, environment: [String: String]) -> Bool {
        configFileGiven || environment.contains { $0.key.hasPrefix("MB_") && ConfigurationSources.present($0.value) != nil }
    }
}
