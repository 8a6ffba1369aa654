import Foundation
import Logging

/// Everything the task runner needs, after flags, environment and defaults have been merged.
public struct AgentSettings: Sendable {
    public struct Location: Sendable, Equatable {
        public let country: String
        public let region: String

        /// `COUNTRY/REGION`, e.g. `FI/18`: a 2-letter country and a 2–4 character region, as protocol 1 requires.
        public init(parsing text: String) throws {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 2, (2...4).contains(parts[1].count) else {
                throw AgentConfigurationError("location must be COUNTRY/REGION with a 2-character country and a 2 to 4 character region, e.g. FI/18: \(text)")
            }
            country = String(parts[0])
            region = String(parts[1])
        }
    }

    public var afmURL: String
    public var defaultWait: Duration = .seconds(60)
    /// Seconds the AFM is asked to hold an empty poll until a task arrives (`Prefer: wait`); nil asks for none.
    public var pollWait: Int? = 30
    public var executors = 2
    public var logLevel: Logger.Level = .warning
    public var name: String
    public var stateDirectory = "./agent-state"
    public var handlersDirectory: String?
    public var location: Location?
    /// How long running tasks may finish after SIGTERM or SIGINT.
    public var gracePeriod: Duration = .seconds(30)
    /// How long a plug-in handler or a URL check may take.
    public var handlerTimeout: Duration = .seconds(300)
    public var httpTimeout: Duration = .seconds(30)
    /// The bearer token for an AFM that requires agent tokens.
    public var token: String?

    public init(afmURL: String, name: String) {
        self.afmURL = afmURL
        self.name = name
    }

    /// The log level for `-v` given `count` times: warnings only, then info, debug, trace.
    public static func logLevel(verbosity count: Int) -> Logger.Level {
        switch count {
        case 0: .warning
        case 1: .info
        case 2: .debug
        default: .trace
        }
    }

    public static func validatedURL(_ text: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw AgentConfigurationError("the AFM URL must be an http or https URL, e.g. http://afm:8080: \(text)")
        }
        return text
    }
}
