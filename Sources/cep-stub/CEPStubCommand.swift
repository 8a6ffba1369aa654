import ArgumentParser
import Databridge
import FleetLogging
import Foundation
import Hummingbird
import Logging
import NIOSSL
import ServiceLifecycle

@main
struct CEPStubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cep-stub",
        abstract: "A small WSO2 data-bridge receiver: records the events agents publish and serves them over HTTP.",
        discussion: """
            Serves ThriftSecureEventTransmissionService (connect, disconnect, defineStream,
            findStreamId, publish, deleteStreamById, deleteStreamByNameVersion) over TLS and
            the same calls over plain TCP, Thrift binary protocol, unframed. Logins are checked
            against --username/--password; stream definitions are kept by name:version.

            HTTP: GET /health, GET /events (filters stream=, after=, limit=, ATTRIBUTE=VALUE),
            DELETE /sessions (expires every session).

            Every option can also be set by environment variable; a flag wins over it:
              CEP_STUB_HOST, CEP_STUB_PLAIN_PORT, CEP_STUB_TLS_PORT, CEP_STUB_HTTP_PORT,
              CEP_STUB_USERNAME, CEP_STUB_PASSWORD, CEP_STUB_CERTIFICATE, CEP_STUB_PRIVATE_KEY,
              CEP_STUB_LOG_LEVEL
            A port of 0 turns that listener off. Without a certificate a self-signed one is made
            at start.
            """)

    @Option(help: "Address to listen on (default 127.0.0.1; 0.0.0.0 in a container).")
    var host: String?
    @Option(help: "Plain TCP data-bridge port (default 7611; 0 = off).")
    var plainPort: Int?
    @Option(help: "TLS data-bridge port (default 7711; 0 = off).")
    var tlsPort: Int?
    @Option(help: "HTTP port for /events and /health (default 9763; 0 = off).")
    var httpPort: Int?
    @Option(help: "User name a connect call must give (default admin).")
    var username: String?
    @Option(help: "Password a connect call must give (default admin).")
    var password: String?
    @Option(help: "PEM certificate (chain) for the TLS port.")
    var certificate: String?
    @Option(help: "PEM private key of --certificate.")
    var privateKey: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (default info).")
    var logLevel: String?

    func run() async throws {
        let settings: Settings
        do {
            settings = try Settings(command: self, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("cep-stub: \(error)\n".utf8))
            throw ExitCode.failure
        }
        do {
            try LineLogHandler.bootstrap(level: settings.logLevel, path: nil, format: try LogFormat.named(ProcessInfo.processInfo.environment["LOG_FORMAT"]))
        } catch {
            FileHandle.standardError.write(Data("cep-stub: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let logger = Logger(label: "cep-stub")
        let receiver = RecordingReceiver(userName: settings.username, password: settings.password, logger: logger)
        let tls: NIOSSLContext?
        do {
            tls = settings.tlsPort == 0 ? nil : try SelfSignedIdentity.serverContext(
                certificateFile: settings.certificate, privateKeyFile: settings.privateKey)
        } catch {
            FileHandle.standardError.write(Data("cep-stub: TLS certificate: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var services: [any Service] = [Listeners(settings: settings, tls: tls, receiver: receiver, logger: logger)]
        if settings.httpPort != 0 {
            services.append(Application(
                router: EventsAPI.router(receiver: receiver),
                configuration: .init(address: .hostname(settings.host, port: settings.httpPort), serverName: "cep-stub"),
                logger: logger))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// The options after flags and environment are merged, validated.
struct Settings {
    var host: String
    var plainPort: Int
    var tlsPort: Int
    var httpPort: Int
    var username: String
    var password: String
    var certificate: String?
    var privateKey: String?
    var logLevel: Logger.Level

    init(command: CEPStubCommand, environment: [String: String]) throws {
        func port(_ flag: Int?, _ name: String, _ fallback: Int) throws -> Int {
            let value: Int
            if let flag {
                value = flag
            } else if let text = environment[name], !text.isEmpty {
                guard let number = Int(text) else { throw ValidationError("\(name): '\(text)' is not a port number") }
                value = number
            } else {
                value = fallback
            }
            guard (0...65535).contains(value) else { throw ValidationError("\(name): \(value) is not a port number (0 turns it off)") }
            return value
        }
        func text(_ flag: String?, _ name: String) -> String? {
            flag ?? environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        host = text(command.host, "CEP_STUB_HOST") ?? "127.0.0.1"
        plainPort = try port(command.plainPort, "CEP_STUB_PLAIN_PORT", 7611)
        tlsPort = try port(command.tlsPort, "CEP_STUB_TLS_PORT", 7711)
        httpPort = try port(command.httpPort, "CEP_STUB_HTTP_PORT", 9763)
        username = text(command.username, "CEP_STUB_USERNAME") ?? "admin"
        password = text(command.password, "CEP_STUB_PASSWORD") ?? "admin"
        certificate = text(command.certificate, "CEP_STUB_CERTIFICATE")
        privateKey = text(command.privateKey, "CEP_STUB_PRIVATE_KEY")
        if (certificate == nil) != (privateKey == nil) {
            throw ValidationError("CEP_STUB_CERTIFICATE and CEP_STUB_PRIVATE_KEY: give both or neither")
        }
        let level = text(command.logLevel, "CEP_STUB_LOG_LEVEL") ?? "info"
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationError("CEP_STUB_LOG_LEVEL: '\(level)' is not trace, debug, info, notice, warning or error")
        }
        logLevel = parsed
        if plainPort == 0 && tlsPort == 0 { throw ValidationError("both data-bridge ports are 0: nothing to serve") }
    }
}

/// The data-bridge listeners, open until graceful shutdown.
struct Listeners: Service {
    let settings: Settings
    let tls: NIOSSLContext?
    let receiver: RecordingReceiver
    let logger: Logger

    func run() async throws {
        var servers: [DatabridgeServer] = []
        do {
            if settings.plainPort != 0 {
                servers.append(try await DatabridgeServer.start(host: settings.host, port: settings.plainPort, tls: nil, service: receiver, logger: logger))
            }
            if let tls {
                servers.append(try await DatabridgeServer.start(host: settings.host, port: settings.tlsPort, tls: tls, service: receiver, logger: logger))
            }
        } catch {
            for server in servers { await server.close() }
            logger.critical("cannot listen on \(settings.host): \(error)")
            throw error
        }
        for server in servers { logger.notice("data bridge (\(server.transport)) listening on \(settings.host):\(server.port)") }
        try? await gracefulShutdown()
        for server in servers { await server.close() }
    }
}
