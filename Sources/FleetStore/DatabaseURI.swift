import Foundation

/// A parsed database URI, in the forms SQLAlchemy accepts and SLAMon configurations use.
///
/// - `sqlite://` or `sqlite:///:memory:`: in memory, gone when the process ends;
/// - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`: a file (three slashes, then the path);
/// - `postgresql://user:password@host:port/database?sslmode=disable|prefer|require`, also spelled `postgres://` or
///   with a driver, `postgresql+psycopg2://`.
public enum DatabaseURI: Sendable, Equatable, CustomStringConvertible {
    case sqliteMemory
    case sqliteFile(path: String)
    case postgres(PostgresLocation)

    /// The embedded store in the working directory: what `afm` uses when nothing is configured.
    public static let defaultEmbedded = DatabaseURI.sqliteFile(path: "afm.sqlite")

    public struct PostgresLocation: Sendable, Equatable {
        public enum TLSMode: String, Sendable {
            case disable, prefer, require
        }

        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        public var tls: TLSMode
        /// A directory holding the server's Unix socket, from `?host=/path` (libpq's convention).
        public var socketDirectory: String?
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public init(parsing text: String) throws(ParseError) {
        guard let schemeEnd = text.range(of: "://") else {
            throw ParseError(reason: "'\(text)' is not a database URI (expected sqlite:// or postgresql://)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = String(text[schemeEnd.upperBound...])
        let dialect = scheme.split(separator: "+", maxSplits: 1).first.map(String.init) ?? scheme
        switch dialect {
        case "sqlite":
            // SQLAlchemy: sqlite:// and sqlite:///:memory: are in memory; sqlite:///x.db is x.db; sqlite:////x.db is /x.db.
            if rest.isEmpty || rest == "/:memory:" || rest == "/" {
                self = .sqliteMemory
            } else if rest.hasPrefix("/") {
                self = .sqliteFile(path: String(rest.dropFirst()))
            } else {
                throw ParseError(reason: "sqlite URI must be sqlite:///PATH (relative) or sqlite:////PATH (absolute)")
            }
        case "postgres", "postgresql":
            self = .postgres(try Self.parsePostgres(rest))
        default:
            throw ParseError(reason: "unsupported database '\(scheme)' (use sqlite or postgresql)")
        }
    }

    private static func parsePostgres(_ rest: String) throws(ParseError) -> PostgresLocation {
        var remainder = Substring(rest)
        var query: [String: String] = [:]
        if let questionMark = remainder.firstIndex(of: "?") {
            for pair in remainder[remainder.index(after: questionMark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                query[String(parts[0])] = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            }
            remainder = remainder[..<questionMark]
        }
        var database: String?
        if let slash = remainder.firstIndex(of: "/") {
            let name = String(remainder[remainder.index(after: slash)...])
            database = name.isEmpty ? nil : (name.removingPercentEncoding ?? name)
            remainder = remainder[..<slash]
        }
        var username = "postgres"
        var password: String?
        if let at = remainder.lastIndex(of: "@") {
            let credentials = remainder[..<at]
            remainder = remainder[remainder.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            if parts.count > 1 { password = String(parts[1]).removingPercentEncoding ?? String(parts[1]) }
        }
        var host = String(remainder)
        var port = 5432
        if host.hasPrefix("[") {
            // [IPv6]:port
            guard let close = host.firstIndex(of: "]") else { throw ParseError(reason: "unterminated [IPv6] host in database URI") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = try parsePort(String(after.dropFirst())) }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = try parsePort(String(host[host.index(after: colon)...]))
            host = String(host[..<colon])
        }
        if let portText = query["port"] { port = try parsePort(portText) }
        var socketDirectory: String?
        if let hostParameter = query["host"] {
            if hostParameter.hasPrefix("/") { socketDirectory = hostParameter } else { host = hostParameter }
        }
        if host.isEmpty { host = "localhost" }
        let tls: PostgresLocation.TLSMode
        switch query["sslmode"] ?? "disable" {
        case "disable", "allow": tls = .disable
        case "prefer": tls = .prefer
        case "require", "verify-ca", "verify-full": tls = .require
        case let other: throw ParseError(reason: "unsupported sslmode '\(other)' (use disable, prefer or require)")
        }
        return PostgresLocation(
            host: host, port: port, username: username, password: password, database: database, tls: tls,
            socketDirectory: socketDirectory)
    }

    private static func parsePort(_ text: String) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ParseError(reason: "'\(text)' is not a valid port in the database URI")
        }
        return port
    }

    /// The URI with any password masked, for logs.
    public var description: String {
        switch self {
        case .sqliteMemory: return "sqlite:// (in memory)"
        case .sqliteFile(let path): return "sqlite:///\(path)"
        case .postgres(let location):
            let credentials = location.password == nil ? location.username : "\(location.username):***"
            let host = location.socketDirectory ?? "\(location.host):\(location.port)"
            return "postgresql://\(credentials)@\(host)/\(location.database ?? "")"
        }
    }
}
