import FleetApplication
import FleetHTTP
import FleetStore
import Foundation
import FleetLogging
import Logging

/// Everything `afm` is configured with, resolved from (later wins): built-in defaults, the configuration file
/// (`--config` or `SLAMON_AFM_CFG`), environment variables of the same names, then command-line flags.
struct AFMConfiguration: Sendable {
    /// What the application is built from; the defaults are its own.
    var settings = AFMSettings()
    /// Where the database URI came from, for messages: `AFM_DB_URI (environment)`, `--database-uri`, `default`.
    var databaseURISource = "default"
    var logLevel: Logger.Level = .info
    var logFormat = LogFormat.logfmt
    var logFile: String?

    /// The settings as a log line, the password masked.
    var summary: Logger.Metadata {
        let policy = settings.policy
        return [
            "database": "\(settings.database.uri)", "agent_return_time": "\(policy.agentReturnTime)",
            "agent_active_threshold": "\(policy.agentActiveThreshold)", "auto_create": "\(settings.database.autoCreate)",
            "log_level": "\(logLevel)", "log_file": "\(logFile ?? "-")", "log_format": "\(logFormat.rawValue)",
            "task_default_ttl": "\(policy.taskDefaultTTL.map(String.init) ?? "none")", "task_max_attempts": "\(policy.taskMaxAttempts)",
            "task_run_timeout": "\(policy.taskRunTimeout.map { "\($0)" } ?? "none")",
            "database_pool_size": "\(settings.database.poolSize.map(String.init) ?? "default")",
            "http_idle_timeout": "\(settings.idleTimeout)", "http_request_timeout": "\(settings.http.requestTimeout)",
            "max_connections": "\(settings.http.maxConnections ?? DescriptorLimit.defaultMaxConnections)",
            "agent_max_wait": "\(policy.maximumPollWait)", "result_retention_days": "\(policy.resultRetentionDays)",
            "rollup_retention_days": "\(policy.rollupRetentionDays)", "webhook_retry_hours": "\(policy.webhookRetryHours)",
            "webhook_max_backoff": "\(policy.webhookMaximumBackoff)",
            // Never the tokens themselves.
            "bpms_auth": "\(settings.tokens.bpms.isEmpty ? "off" : "\(settings.tokens.bpms.count) token(s)")",
            "agent_auth": "\(settings.tokens.agent.isEmpty ? "off" : "\(settings.tokens.agent.count) token(s)")",
            "viewer_auth": "\(settings.tokens.viewer.isEmpty ? "off" : "\(settings.tokens.viewer.count) token(s)")",
        ]
    }

    /// Environment variables that name the database, weakest first.
    static let databaseURIKeys = ["SQLALCHEMY_DATABASE_URI", "DATABASE_URI", "AFM_DB_URI"]

    static func load(
        configFile flagPath: String?, databaseURIFlag: String?, environment: [String: String]
    ) throws(ConfigurationError) -> AFMConfiguration {
        var configuration = AFMConfiguration()
        let environment = environment.filter { !$0.value.isEmpty }

        if let path = flagPath ?? environment["SLAMON_AFM_CFG"] {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError("cannot read configuration file \(path): \(error.localizedDescription)")
            }
            let values: [String: PythonLiteralConfigFile.Literal]
            do {
                values = try PythonLiteralConfigFile.parse(text)
            } catch {
                throw ConfigurationError("configuration file \(path), line \(error.line): \(error.reason)")
            }
            try configuration.apply(values.compactMapValues(\.text), source: "configuration file \(path)")
        }
        try configuration.apply(environment, source: "environment")
        if let databaseURIFlag {
            configuration.settings.database.uri = try parseDatabaseURI(databaseURIFlag, key: "--database-uri", source: "command line")
            configuration.databaseURISource = "--database-uri"
        }
        return configuration
    }

    private mutating func apply(_ values: [String: String], source: String) throws(ConfigurationError) {
        for key in Self.databaseURIKeys {
            if let value = values[key] {
                settings.database.uri = try Self.parseDatabaseURI(value, key: key, source: source)
                databaseURISource = "\(key) (\(source))"
            }
        }
        if let value = values["AGENT_RETURN_TIME"] {
            settings.policy.agentReturnTime = try Self.positiveSeconds(value, key: "AGENT_RETURN_TIME", source: source)
        }
        if let value = values["AGENT_ACTIVE_THRESHOLD"] {
            settings.policy.agentActiveThreshold = try Self.positiveSeconds(value, key: "AGENT_ACTIVE_THRESHOLD", source: source)
        }
        if let value = values["AUTO_CREATE"] {
            switch value.lowercased() {
            case "true", "1", "yes", "on": settings.database.autoCreate = true
            case "false", "0", "no", "off": settings.database.autoCreate = false
            default: throw ConfigurationError("AUTO_CREATE (\(source)): '\(value)' is not true or false")
            }
        }
        if let value = values["LOG_LEVEL"] {
            guard let level = Self.logLevel(value) else {
                throw ConfigurationError(
                    "LOG_LEVEL (\(source)): '\(value)' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL (or 10–50)")
            }
            logLevel = level
        }
        if let value = values["LOG_FILE"] { logFile = value }
        if let value = values["LOG_FORMAT"] {
            do { logFormat = try LogFormat.named(value) } catch { throw ConfigurationError("\(error) (\(source))") }
        }
        if let value = values["TASK_DEFAULT_TTL"] {
            switch value.lowercased() {
            case "none", "0": settings.policy.taskDefaultTTL = nil
            default: settings.policy.taskDefaultTTL = Int64(try Self.positiveSeconds(value, key: "TASK_DEFAULT_TTL", source: source).rounded(.up))
            }
        }
        if let value = values["TASK_RUN_TIMEOUT"] {
            switch value.lowercased() {
            case "none", "0": settings.policy.taskRunTimeout = nil
            default: settings.policy.taskRunTimeout = try Self.positiveSeconds(value, key: "TASK_RUN_TIMEOUT", source: source)
            }
        }
        if let value = values["TASK_MAX_ATTEMPTS"] {
            guard let attempts = Int(value), (1...1000).contains(attempts) else {
                throw ConfigurationError("TASK_MAX_ATTEMPTS (\(source)): '\(value)' is not a whole number from 1 to 1000")
            }
            settings.policy.taskMaxAttempts = attempts
        }
        if let value = values["DATABASE_POOL_SIZE"] {
            guard let size = Int(value), (1...1000).contains(size) else {
                throw ConfigurationError("DATABASE_POOL_SIZE (\(source)): '\(value)' is not a whole number from 1 to 1000")
            }
            settings.database.poolSize = size
        }
        if let value = values["HTTP_IDLE_TIMEOUT"] {
            settings.http.idleTimeout = try Self.positiveSeconds(value, key: "HTTP_IDLE_TIMEOUT", source: source)
        }
        if let value = values["HTTP_REQUEST_TIMEOUT"] {
            settings.http.requestTimeout = try Self.positiveSeconds(value, key: "HTTP_REQUEST_TIMEOUT", source: source)
        }
        if let value = values["MAX_CONNECTIONS"] {
            guard let count = Int(value), (1...1_000_000).contains(count) else {
                throw ConfigurationError("MAX_CONNECTIONS (\(source)): '\(value)' is not a whole number from 1 to 1000000")
            }
            settings.http.maxConnections = count
        }
        if let value = values["AGENT_MAX_WAIT"] {
            guard let seconds = Int(value), (0...3600).contains(seconds) else {
                throw ConfigurationError("AGENT_MAX_WAIT (\(source)): '\(value)' is not a whole number of seconds from 0 to 3600")
            }
            settings.policy.maximumPollWait = seconds
        }
        for (key, range) in [("RESULT_RETENTION_DAYS", 1...3650), ("ROLLUP_RETENTION_DAYS", 1...3650)] {
            guard let value = values[key] else { continue }
            guard let days = Int(value), range.contains(days) else {
                throw ConfigurationError("\(key) (\(source)): '\(value)' is not a whole number of days from 1 to 3650")
            }
            if key == "RESULT_RETENTION_DAYS" { settings.policy.resultRetentionDays = days } else { settings.policy.rollupRetentionDays = days }
        }
        if let value = values["WEBHOOK_RETRY_HOURS"] {
            settings.policy.webhookRetryHours = try Self.positiveSeconds(value, key: "WEBHOOK_RETRY_HOURS", source: source)
        }
        if let value = values["WEBHOOK_MAX_BACKOFF"] {
            settings.policy.webhookMaximumBackoff = try Self.positiveSeconds(value, key: "WEBHOOK_MAX_BACKOFF", source: source)
        }
        if let value = values["AFM_BPMS_TOKENS"] { settings.tokens.bpms = try Self.tokens(value, key: "AFM_BPMS_TOKENS", source: source) }
        if let value = values["AFM_AGENT_TOKENS"] { settings.tokens.agent = try Self.tokens(value, key: "AFM_AGENT_TOKENS", source: source) }
        if let value = values["AFM_VIEWER_TOKENS"] { settings.tokens.viewer = try Self.tokens(value, key: "AFM_VIEWER_TOKENS", source: source) }
    }

    /// Comma-separated bearer tokens; the value itself never appears in a message.
    private static func tokens(_ value: String, key: String, source: String) throws(ConfigurationError) -> Set<String> {
        let tokens = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard tokens.allSatisfy({ token in token.count >= 8 && token.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F } }) else {
            throw ConfigurationError("\(key) (\(source)): each token must be at least 8 printable ASCII characters without spaces")
        }
        return Set(tokens)
    }

    private static func parseDatabaseURI(_ value: String, key: String, source: String) throws(ConfigurationError) -> DatabaseURI {
        do {
            return try DatabaseURI(parsing: value)
        } catch {
            throw ConfigurationError("\(key) (\(source)): \(error.reason)")
        }
    }

    private static func positiveSeconds(_ value: String, key: String, source: String) throws(ConfigurationError) -> Double {
        guard let seconds = Double(value), seconds.isFinite, seconds > 0, seconds <= 31_536_000 else {
            throw ConfigurationError("\(key) (\(source)): '\(value)' must be a number of seconds above 0 and at most 31536000 (one year)")
        }
        return seconds
    }

    /// Python logging names and numbers, plus swift-log's own names.
    static func logLevel(_ value: String) -> Logger.Level? {
        switch value.uppercased() {
        case "TRACE": .trace
        case "DEBUG", "10": .debug
        case "INFO", "20": .info
        case "NOTICE": .notice
        case "WARNING", "WARN", "30": .warning
        case "ERROR", "40": .error
        case "CRITICAL", "FATAL", "50": .critical
        default: nil
        }
    }
}

/// A configuration mistake: `afm` stops with this one line.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = "invalid configuration: " + description
    }
}
