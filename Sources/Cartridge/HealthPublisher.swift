import Databridge
import Foundation
import Logging
import MQTT

/// Publishes the instance's health to every CEP receiver in `thrift.receiver.urls`, each over its own
/// connection: every `stats.notifier.interval` seconds (sleeping first, as the reference), memory consumption
/// then load average. A receiver that is down is tried again on every tick and used again once it answers; an
/// expired session logs in again and republishes. Nothing here ends the agent.
final class HealthPublisher: Sendable {
    private let settings: CartridgeSettings
    private let links: [ReceiverLink]
    private let logger: Logger

    init(settings: CartridgeSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let security: TransportSecurity
        if !settings.thriftSSLEnabled {
            security = .plain
        } else if let caFile = settings.thriftCAFile {
            security = .verified(caFile: caFile)
        } else {
            security = .unverified
            logger.warning("thrift.ssl.ca.file is not set: CEP receivers' certificates are accepted without verification, as the original agent does")
        }
        links = settings.thriftReceivers.map {
            ReceiverLink(
                address: $0, security: security, userName: settings.thriftUsername ?? "", password: settings.thriftPassword ?? "",
                logger: logger)
        }
    }

    /// Runs until the task is cancelled.
    func run() async {
        logger.notice("publishing health statistics every \(settings.statsInterval) s to \(settings.thriftReceivers.map(\.description).joined(separator: ", "))")
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(settings.statsInterval))
            if Task.isCancelled { break }
            await tick()
        }
        for link in links { await link.close() }
    }

    /// One round: both readings to every receiver.
    func tick() async {
        guard let statistics = HealthStatistics.current() else {
            logger.warning("health statistics cannot be read on this system; nothing published")
            return
        }
        for (description, value) in [("memory_consumption", statistics.memoryConsumption), ("load_average", statistics.loadAverage)] {
            let timestamp = Int64(Date().timeIntervalSince1970 * 1000)
            await withTaskGroup(of: Void.self) { group in
                for link in links {
                    group.addTask {
                        await link.publish { session, stream in
                            HealthStream.bundle(
                                sessionID: session, streamID: stream, settings: self.settings, description: description, value: value,
                                timestampMilliseconds: timestamp)
                        }
                    }
                }
            }
        }
    }
}

/// One receiver: its connection, session and stream id, rebuilt when the receiver goes away.
actor ReceiverLink {
    let address: BrokerAddress
    private let security: TransportSecurity
    private let userName: String
    private let password: String
    private let logger: Logger
    private var connection: (client: DatabridgeClient, session: String, stream: String)?
    private var reportedDown = false

    init(address: BrokerAddress, security: TransportSecurity, userName: String, password: String, logger: Logger) {
        self.address = address
        self.security = security
        self.userName = userName
        self.password = password
        self.logger = logger
    }

    /// Publishes the bundle `make(session, stream)` builds; on a dead connection drops it for the next tick.
    func publish(_ make: (String, String) -> EventBundle) async {
        guard let (client, session, stream) = await connected() else { return }
        do {
            try await client.publish(make(session, stream))
            logger.debug("Published event to thrift stream \(stream) at \(address)")
        } catch .fault(.sessionExpired) {
            // A new session on the same connection; the receiver still knows the stream.
            do {
                let renewed = try await client.connect(userName: userName, password: password)
                connection = (client, renewed, stream)
                try await client.publish(make(renewed, stream))
                logger.info("session at CEP receiver \(address) had expired; logged in again and republished")
            } catch {
                drop("Couldn't publish health statistics to CEP. Thrift Receiver offline. Reconnecting... (\(address): \(error))")
            }
        } catch {
            drop("Couldn't publish health statistics to CEP. Thrift Receiver offline. Reconnecting... (\(address): \(error))")
        }
    }

    /// The open connection, or a new one (login and stream definition); nil while the receiver is unavailable.
    private func connected() async -> (DatabridgeClient, String, String)? {
        if let connection {
            if connection.client.isOpen { return connection }
            drop("Couldn't publish health statistics to CEP. Thrift Receiver offline. Reconnecting... (\(address): the connection closed)")
        }
        do {
            let client = try await DatabridgeClient.connect(host: address.host, port: address.port, security: security, timeout: .seconds(5))
            do {
                let session = try await client.connect(userName: userName, password: password)
                let stream = try await client.defineStream(sessionID: session, definition: HealthStream.definition)
                connection = (client, session, stream)
            } catch {
                client.close()
                throw error
            }
            logger.notice("CEP receiver \(address) connected (\(security == .plain ? "plain TCP" : "TLS")), stream \(connection!.stream)")
            reportedDown = false
            return connection
        } catch {
            if !reportedDown {
                logger.warning("CEP receiver \(address) is not available: \(error); trying again every tick")
                reportedDown = true
            } else {
                logger.debug("CEP receiver \(address) is still not available: \(error)")
            }
            return nil
        }
    }

    private func drop(_ message: String) {
        logger.warning("\(message)")
        connection?.client.close()
        connection = nil
        reportedDown = true
    }

    func close() async {
        if let connection {
            try? await connection.client.disconnect(sessionID: connection.session)
            connection.client.close()
        }
        connection = nil
    }
}
