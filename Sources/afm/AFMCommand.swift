import ArgumentParser
import FleetLogging
import FleetApplication
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

@main
struct AFMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "afm",
        abstract: "AgentFleet Manager: hands monitoring tasks to agents and keeps their results (SLAMon AFM protocol 1).",
        discussion: """
            Without a sub-command, afm serves on 0.0.0.0:8080 with the embedded store,
            the file afm.sqlite in the working directory.

            Configuration keys come from a file of KEY = value lines (--config, or the
            SLAMON_AFM_CFG environment variable) and from environment variables of the
            same names. The environment wins over the file; flags win over both.

              SQLALCHEMY_DATABASE_URI, DATABASE_URI or AFM_DB_URI
                  database URI (default sqlite:///afm.sqlite)
              DATABASE_POOL_SIZE      connections to PostgreSQL at most, opened on demand and closed
                                      after a minute idle (default four per core)
              AGENT_RETURN_TIME       seconds until an agent polls again (default 60)
              AGENT_ACTIVE_THRESHOLD  seconds an agent counts as active (default 300)
              AGENT_MAX_WAIT          seconds a poll sent with Prefer: wait=N may be held
                                      waiting for a task (default 30; 0 holds none; never
                                      more than half of AGENT_ACTIVE_THRESHOLD); keep it
                                      below the idle timeout of any proxy in front of afm
              AUTO_CREATE             create or upgrade tables on start (default True)
              LOG_LEVEL               DEBUG, INFO, WARNING, ERROR, CRITICAL (default INFO); DEBUG logs every request
              LOG_FILE                append logs to this file instead of standard error
              LOG_FORMAT              logfmt (default) or json: one JSON object per line
              TASK_DEFAULT_TTL        seconds a task may wait to be claimed when it does not
                                      say (default none: forever)
              TASK_MAX_ATTEMPTS       hand-outs of a task before a lost agent fails it (default 3)
              TASK_RUN_TIMEOUT        seconds a claimed task may run before it is handed back
                                      like a lost agent's (default 3600; none or 0: no bound)
              RESULT_RETENTION_DAYS   days schedule runs and their minute roll-ups are kept (default 30)
              ROLLUP_RETENTION_DAYS   days hour and day roll-ups are kept, the longest summary (default 400)
              WEBHOOK_RETRY_HOURS     hours a webhook delivery is retried (default 24)
              WEBHOOK_MAX_BACKOFF     most seconds between two attempts of a delivery (default 600)
              AFM_BPMS_TOKENS         comma-separated bearer tokens for BPMS routes (default open)
              AFM_AGENT_TOKENS        comma-separated bearer tokens for agent routes (default open)
              AFM_VIEWER_TOKENS       comma-separated tokens that see the console and read (GET) BPMS
                                      routes; with these or BPMS tokens the console asks to log in
              HTTP_IDLE_TIMEOUT       seconds a keep-alive connection may stay idle
                                      (default AGENT_RETURN_TIME + 60)
              HTTP_REQUEST_TIMEOUT    seconds for a request head, between body reads, and for a
                                      client to take its answer (default 10)
              MAX_CONNECTIONS         open connections; past it 503 (default: the open-file
                                      limit less 128, at most 65536)
            """,
        subcommands: [Run.self, CreateTables.self, DropTables.self],
        defaultSubcommand: Run.self)

    /// Declared here too so that `afm --database-uri URI run` parses as the original CLI does.
    @OptionGroup var global: GlobalOptions
}

/// Options every sub-command takes, before or after its name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-uri"), help: "Database URI: sqlite://, sqlite:///FILE, postgresql://USER:PASS@HOST[:PORT]/DB.")
    var databaseURI: String?

    @Option(name: [.customShort("c"), .customLong("config")], help: "Configuration file of KEY = value lines.")
    var configFile: String?

    /// Loads the configuration and starts logging; a mistake ends the program with one line.
    func loadConfiguration() throws -> AFMConfiguration {
        do {
            let configuration = try AFMConfiguration.load(
                configFile: configFile, databaseURIFlag: databaseURI, environment: ProcessInfo.processInfo.environment)
            do {
                try LineLogHandler.bootstrap(level: configuration.logLevel, path: configuration.logFile, format: configuration.logFormat)
            } catch {
                throw ConfigurationError("LOG_FILE: \(error)")
            }
            return configuration
        } catch {
            throw stopWithMessage("afm: \(error)")
        }
    }
}

/// Stops `afm` with one line on standard error and exit status 1.
func stopWithMessage(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    return ExitCode.failure
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the AFM over HTTP (the default).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Address to listen on.")
    var host = "0.0.0.0"

    @Argument(help: "Port to listen on.")
    var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("port must be between 0 and 65535") }
    }

    func run() async throws {
        DescriptorLimit.raise()
        var configuration = try global.loadConfiguration()
        if let problem = ListenAddress.check(host: host, port: port) { throw stopWithMessage(problem) }
        let logger = Logger(label: "afm")
        configuration.settings.logsRequests = logger.logLevel <= .debug
        let application: AFMApplication
        do {
            application = try await buildApplication(configuration.settings, address: .hostname(host, port: port), logger: logger)
        } catch {
            throw stopWithMessage(configuration.startMessage(error))
        }
        logger.info("starting", metadata: configuration.summary.merging(["host": "\(host)", "port": "\(port)"]) { $1 })
        do {
            try await ServiceGroup(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        } catch {
            // Closed here too when a part failed: a store left open at exit is a fault of its own (SQLite asserts).
            try? await application.store.close()
            if let schema = error as? SchemaUnavailable { throw stopWithMessage("afm: \(schema)") }
            // The port checked at start can be taken before the server binds it, while the migrations run.
            if let bind = error as? IOError, bind.errnoCode == EADDRINUSE {
                throw stopWithMessage("afm: cannot listen on \(host):\(port): the port is in use")
            }
            logger.error("stopped", metadata: ["reason": "a part failed", "cause": "\(error)"])
            throw error
        }
        try? await application.store.close()
        logger.notice("stopped", metadata: ["reason": "asked to stop (SIGTERM or SIGINT); every answer under way was sent"])
    }
}

struct CreateTables: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-tables", abstract: "Create the database tables, or upgrade them to this version.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let logger = Logger(label: "afm")
        let store = try await openStore(configuration, logger: logger)
        try await withRunningStore(store) { try await $0.migrate() }
        logger.info("tables created", metadata: ["database": "\(configuration.settings.database.uri)"])
    }
}

struct DropTables: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop-tables", abstract: "Drop every AFM table, with all tasks and agents in them.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let logger = Logger(label: "afm")
        let store = try await openStore(configuration, logger: logger)
        try await withRunningStore(store) { try await $0.dropTables() }
        logger.info("tables dropped", metadata: ["database": "\(configuration.settings.database.uri)"])
    }
}

/// Opens the configured store for a one-shot command, with the same checks as `afm run`.
private func openStore(_ configuration: AFMConfiguration, logger: Logger) async throws -> any TaskStore {
    do {
        return try await openConfiguredStore(configuration.settings.database, logger: logger)
    } catch {
        throw stopWithMessage(configuration.startMessage(error))
    }
}

/// Runs the store's service (the PostgreSQL pool) around `body`, for the one-shot commands.
private func withRunningStore(_ store: any TaskStore, _ body: @escaping @Sendable (any TaskStore) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await store.run() }
        defer { group.cancelAll() }
        do {
            try await body(store)
        } catch {
            throw stopWithMessage("afm: \(error)")
        }
        try await store.close()
    }
}

extension AFMConfiguration {
    /// The line `afm` stops with when the application cannot be built.
    func startMessage(_ error: ApplicationStartError) -> String {
        switch error {
        case .databaseUnreachable: "afm: \(error) (database URI from \(databaseURISource))"
        case .cannotOpenDatabase(let reason): "afm: cannot open database \(settings.database.uri): \(reason)"
        }
    }
}
