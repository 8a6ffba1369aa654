import FleetStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One connection attempt to the server a URI names, before anything else uses it, so that a wrong host, a port
/// nobody listens on or a rejected login is said at once, in one line, with the system's or the server's reason;
/// the pool would only keep retrying in the background until an operation timed out.
public enum PostgresReachability {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// Where `afm` tried to connect: `host:port`, or the socket's path.
        public let target: String
        public let reason: String
        public var description: String { "cannot connect to PostgreSQL at \(target): \(reason)" }
    }

    public static func check(_ location: DatabaseURI.PostgresLocation, timeout: TimeAmount = .seconds(5)) async throws(Failure) {
        var configuration: PostgresConnection.Configuration
        let target: String
        if let socketDirectory = location.socketDirectory {
            let path = "\(socketDirectory)/.s.PGSQL.\(location.port)"
            target = path
            configuration = PostgresConnection.Configuration(
                unixSocketPath: path, username: location.username, password: location.password, database: location.database)
        } else {
            target = location.host.contains(":") ? "[\(location.host)]:\(location.port)" : "\(location.host):\(location.port)"
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch location.tls {
                case .disable: tls = .disable
                case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            } catch {
                throw Failure(target: target, reason: "cannot set up TLS: \(error)")
            }
            configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        configuration.options.connectTimeout = timeout
        var quiet = Logger(label: "afm.postgres-check")
        quiet.logLevel = .critical
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: quiet)
            try? await connection.close()
        } catch {
            throw Failure(target: target, reason: reason(for: error))
        }
    }

    /// The most specific reason in what the driver threw: the server's message, or the system's for a socket.
    static func reason(for error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return reason(for: underlying) }
            return "\(error.code)"
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "host \(error.host) not found" }
            if let first = error.connectionErrors.first { return reason(for: first.error) }
            return "host \(error.host) has no address"
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return "no answer within \(amount.nanoseconds / 1_000_000_000) s"
        }
        return "\(error)"
    }
}
