import ArgumentParser
import AsyncHTTPClient
import Cartridge
import FleetAgent
import FleetLogging
import Foundation
import Logging
import ServiceLifecycle

/// `afm-agent`: runs the tasks an AFM hands out. Command-line compatible with `slamon-agent`.
@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "afm-agent",
        abstract: "Run monitoring tasks from an Agent Fleet Manager (protocol 1, compatible with SLAMon AFM 1.1).",
        discussion: """
            Every option can also come from the environment: AFM (the AFM URL, as the SLAMon agent's Docker image \
            uses it), AGENT_DEFAULT_WAIT, AGENT_POLL_WAIT, AGENT_NUM_EXECUTORS, AGENT_VERBOSITY (a number), AGENT_NAME, AGENT_STATE_DIR, \
            AGENT_HANDLERS_DIR, AGENT_LOCATION, AGENT_GRACE_PERIOD, AGENT_HANDLER_TIMEOUT, AFM_AGENT_TOKEN. A flag wins over the \
            environment. LOG_FORMAT (logfmt or json) says how log lines are written. Handler plug-ins are executables named TYPE@VERSION in the handlers directory: they read \
            task_data as JSON on standard input and print the result object as JSON on standard output. Built in: \
            wait@1, url_http_status@1 and the monitoring checks http@1, tcp@1, tls@1, dns@1 and icmp@1, whose \
            schemas the agent registers with the AFM when it starts.

            Exit status: 0 after a graceful stop (SIGTERM or SIGINT), 1 for a configuration error or a part of the \
            agent that failed, 2 when the AFM refuses the agent's polls (HTTP 4xx), 3 when the grace period ended \
            with work left (its results stay in the outbox), 4 after a second signal.
            """)

    @Option(name: [.customShort("u"), .customLong("url")], help: "The AFM's URL, e.g. http://afm:8080 (env AFM).")
    var url: String?

    @Option(name: [.customShort("w"), .customLong("default-wait")], help: "Seconds to wait after a failed poll (default 60).")
    var defaultWait: Int?

    @Option(help: "Seconds the AFM may hold an empty poll until a task arrives (Prefer: wait; default 30, 0: never). An AFM that does not hold polls is polled at its return time.")
    var pollWait: Int?

    @Option(name: [.customShort("x"), .customLong("num-executors")], help: "Tasks run at the same time (default 2).")
    var numExecutors: Int?

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "More output: -v info, -vv debug, -vvv trace (default: warnings).")
    var verbosity: Int

    @Option(name: [.customShort("l"), .customLong("load")], help: ArgumentHelp(
        "Accepted for slamon-agent compatibility: slamon_agent.handlers names the built-in handlers, which are always on; other Python modules cannot be loaded (use --handlers-dir).",
        valueName: "MODULE"))
    var load: [String] = []

    @Option(help: "The agent's name in the AFM (default: the host name).")
    var name: String?

    @Option(help: "Where the agent keeps its id and undelivered results (default ./agent-state).")
    var stateDir: String?

    @Option(help: "A directory of handler plug-ins named TYPE@VERSION.")
    var handlersDir: String?

    @Option(help: "The agent's location as COUNTRY/REGION, e.g. FI/18.")
    var location: String?

    @Option(help: "Seconds running tasks get to finish after SIGTERM or SIGINT (default 30).")
    var gracePeriod: Int?

    @Option(help: "Seconds a plug-in handler or a URL check may take (default 300).")
    var handlerTimeout: Int?

    @Option(name: .customLong("config"), help: "agent.conf ([agent] section): turns on the cartridge side (MQTT lifecycle events, extensions).")
    var agentConf: String?

    @Option(help: "The launch-parameters payload file (KEY=VALUE,KEY=VALUE); default: param.file.path.")
    var launchParams: String?

    @Option(help: "Bearer token for an AFM that requires agent tokens (env AFM_AGENT_TOKEN; the environment keeps it out of process listings).")
    var token: String?

    mutating func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var cartridge: CartridgeSettings?
        var confURL: String?
        if CartridgeSettings.isRequested(configFileGiven: agentConf != nil, environment: environment) {
            do {
                let sources = try await cartridgeSources(environment: environment)
                confURL = sources.lookup("afm.url")?.value
                cartridge = try CartridgeSettings.resolve(sources)
            } catch {
                throw stop("afm-agent: \(error)", status: 1)
            }
        }
        let settings: AgentSettings?
        do {
            settings = try resolveSettings(environment: environment, fallbackURL: confURL, urlRequired: cartridge == nil)
        } catch {
            throw stop("afm-agent: \(error)", status: 1)
        }
        let level = settings?.logLevel ?? AgentSettings.logLevel(verbosity: verbosity > 0 ? verbosity : Int(environment["AGENT_VERBOSITY"] ?? "") ?? 0)
        do {
            try LineLogHandler.bootstrap(level: level, path: nil, format: try LogFormat.named(environment["LOG_FORMAT"]))
        } catch {
            throw stop("afm-agent: \(error)", status: 1)
        }
        let logger = Logger(label: "afm-agent")
        for module in load where module != "slamon_agent.handlers" && !module.hasPrefix("slamon_agent.handlers.") {
            logger.warning("-l \(module) ignored: Python handler modules cannot be loaded here; use --handlers-dir")
        }
        // The client's own default closes a connection after 60 s unused, just when an agent comes back at the
        // AFM's default return time: every poll would open a new connection, which costs the AFM about twice as
        // much as one on a kept connection. Five minutes covers the usual return times.
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool = .init(idleTimeout: .minutes(5))
        // A refused or failed connect is reported at once (the client would otherwise retry it quietly for its whole
        // connect timeout): the agent's own loop polls again after its wait, and a URL check reports the failure.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)

        // The agent's parts as one service group, stopped in reverse order: the terminator watch, the runner (no
        // more polls; running tasks get the grace period), the cartridge side, then the uploader (delivers what is
        // left within the same grace period).
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var runner: TaskRunner?
        var uploader: ResultUploader?
        let grace = GracePeriod(settings?.gracePeriod ?? .seconds(30))
        if let settings {
            do {
                try FileManager.default.createDirectory(atPath: settings.stateDirectory, withIntermediateDirectories: true)
                let agentID = try AgentIdentity.load(stateDirectory: settings.stateDirectory)
                let outbox = try ResultOutbox(stateDirectory: settings.stateDirectory)
                var registry = HandlerRegistry(
                    [WaitHandler(), URLHTTPStatusHandler(client: http, timeout: settings.httpTimeout)] + CheckHandler.builtIn)
                if let directory = settings.handlersDirectory {
                    try registry.loadPlugins(from: directory, timeout: settings.handlerTimeout, logger: logger)
                }
                let client = AFMClient(baseURL: settings.afmURL, client: http, timeout: settings.httpTimeout, agentID: agentID, token: settings.token)
                let held = try HeldTasks(stateDirectory: settings.stateDirectory)
                let delivery = ResultUploader(outbox: outbox, client: client, grace: grace, logger: logger)
                let tasks = TaskRunner(
                    settings: settings, agentID: agentID, registry: registry, outbox: outbox, held: held, client: client,
                    uploader: delivery, grace: grace, logger: logger)
                services.append(.init(service: delivery))
                services.append(.init(service: CheckTypeRegistration(client: client, logger: logger)))
                runner = tasks
                uploader = delivery
                logger.notice("agent \(agentID.uuidString.lowercased()) (\(settings.name)) polling \(settings.afmURL) with \(settings.executors) executor(s); handlers: \(registry.capabilities.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", "))")
            } catch {
                try? await http.shutdown()
                throw stop("afm-agent: \(error)", status: 1)
            }
        }
        if let cartridge {
            logger.notice("cartridge side on: message brokers \(cartridge.brokers.map(\.description).joined(separator: ", "))")
            services.append(.init(service: CartridgeService(agent: CartridgeAgent(settings: cartridge, logger: logger))))
        }
        if let runner {
            // The runner ends by itself only when the AFM turns the agent away; then everything stops.
            services.append(.init(service: runner, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        services.append(.init(service: TerminatorFile(logger: logger), successTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A backstop: the runner and the uploader keep to the grace period themselves.
        configuration.maximumGracefulShutdownDuration = grace.duration + .seconds(5)
        let secondSignal = SecondSignal {
            logger.warning("second signal: exiting now; undelivered results stay in the outbox")
            Foundation.exit(4)
        }

        var refusal: TaskRunner.Refusal?
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch let error as TaskRunner.Refusal {
            refusal = error
        } catch {
            failure = error
        }
        withExtendedLifetime(secondSignal) {}
        try? await http.shutdown()
        if let failure { throw stop("afm-agent: stopped on an error: \(failure)", status: 1) }
        switch refusal {
        case .notAuthorized(let reason)?:
            throw stop("afm-agent: \(reason)", status: 1)
        case .protocolRefused(let reason)?:
            throw stop("afm-agent: \(reason)", status: 2)
        case nil:
            break
        }
        let delivered = await uploader?.isDelivered ?? true
        if let runner, runner.unfinished > 0 || !delivered {
            throw stop("afm-agent: stopped with work left; undelivered results stay in \(settings?.stateDirectory ?? "")/outbox", status: 3)
        }
        logger.notice("stopped")
    }

    /// agent.conf, the launch parameters (from `--launch-params`, `param.file.path`, or fetched from `payload.url`)
    /// and the environment.
    func cartridgeSources(environment: [String: String]) async throws -> ConfigurationSources {
        var sources = ConfigurationSources(environment: environment)
        if let agentConf {
            let text: String
            do {
                text = try String(contentsOfFile: agentConf, encoding: .utf8)
            } catch {
                throw AgentConfigurationError("--config: cannot read \(agentConf): \(error.localizedDescription)")
            }
            sources.agentConf = try ConfigurationSources.parseAgentConf(text)
        }
        let payloadPath = launchParams ?? sources.lookup("param.file.path")?.value
        if let payloadPath {
            guard let text = try? String(contentsOfFile: payloadPath, encoding: .utf8) else {
                throw AgentConfigurationError("param.file.path: cannot read the launch parameters \(payloadPath)")
            }
            sources.payload = ConfigurationSources.parsePayload(text)
        } else if let url = sources.lookup("payload.url")?.value {
            sources.payload = ConfigurationSources.parsePayload(try await Self.fetchPayload(url))
        }
        return sources
    }

    /// The launch parameters from an instance-metadata URL, tried up to 6 times over about 30 s.
    static func fetchPayload(_ text: String) async throws -> String {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
            throw AgentConfigurationError("payload.url: '\(text)' is not an http or https URL")
        }
        var lastProblem = ""
        for attempt in 0..<6 {
            if attempt > 0 { try? await Task.sleep(for: .seconds(min(1 << attempt, 10))) }
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: text), timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 20)
                if (200..<300).contains(response.status.code) { return String(buffer: body) }
                lastProblem = "HTTP \(response.status.code)"
            } catch {
                lastProblem = "\(error)"
            }
        }
        throw AgentConfigurationError("payload.url: cannot fetch the launch parameters from \(text): \(lastProblem)")
    }

    /// Flags, then environment variables, then defaults.
    func resolveSettings(environment: [String: String], fallbackURL: String? = nil, urlRequired: Bool = true) throws -> AgentSettings? {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            if let text = environment[variable], !text.isEmpty { return text }
            return nil
        }
        func seconds(_ flag: Int?, _ variable: String, minimum: Int) throws -> Int? {
            if let flag {
                guard flag >= minimum else { throw AgentConfigurationError("\(variable.lowercased()) must be at least \(minimum): \(flag)") }
                return flag
            }
            guard let text = environment[variable], !text.isEmpty else { return nil }
            guard let number = Int(text), number >= minimum else {
                throw AgentConfigurationError("\(variable) must be a whole number, at least \(minimum): \(text)")
            }
            return number
        }
        guard let url = value(url, "AFM") ?? fallbackURL else {
            if !urlRequired { return nil }
            throw AgentConfigurationError("no AFM URL: give -u URL or set AFM")
        }
        let hostName = ProcessInfo.processInfo.hostName
        var settings = AgentSettings(afmURL: try AgentSettings.validatedURL(url), name: value(name, "AGENT_NAME") ?? hostName)
        if let wait = try seconds(defaultWait, "AGENT_DEFAULT_WAIT", minimum: 1) { settings.defaultWait = .seconds(wait) }
        if let wait = try seconds(pollWait, "AGENT_POLL_WAIT", minimum: 0) {
            guard wait <= 3600 else { throw AgentConfigurationError("AGENT_POLL_WAIT must be at most 3600 seconds: \(wait)") }
            settings.pollWait = wait > 0 ? wait : nil
        }
        if let executors = try seconds(numExecutors, "AGENT_NUM_EXECUTORS", minimum: 1) { settings.executors = executors }
        let level = verbosity > 0 ? verbosity : (try seconds(nil, "AGENT_VERBOSITY", minimum: 0) ?? 0)
        settings.logLevel = AgentSettings.logLevel(verbosity: level)
        if let directory = value(stateDir, "AGENT_STATE_DIR") { settings.stateDirectory = directory }
        settings.handlersDirectory = value(handlersDir, "AGENT_HANDLERS_DIR")
        if let text = value(location, "AGENT_LOCATION") { settings.location = try AgentSettings.Location(parsing: text) }
        if let grace = try seconds(gracePeriod, "AGENT_GRACE_PERIOD", minimum: 0) { settings.gracePeriod = .seconds(grace) }
        if let timeout = try seconds(handlerTimeout, "AGENT_HANDLER_TIMEOUT", minimum: 1) {
            settings.handlerTimeout = .seconds(timeout)
            settings.httpTimeout = .seconds(min(timeout, 30))
        }
        settings.token = value(token, "AFM_AGENT_TOKEN")
        return settings
    }

    /// One line on standard error, then the exit status.
    func stop(_ message: String, status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode(status)
    }
}
