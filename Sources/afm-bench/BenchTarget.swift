import Foundation
import NIOCore
import NIOPosix

/// One AFM under test, on loopback.
struct BenchTarget: Sendable {
    /// The URL as given, without a trailing slash.
    let url: String
    let host: String
    let port: Int

    /// Nil unless `url` is an http URL of a loopback host.
    init?(url: String) {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host,
            ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        else { return nil }
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.host = host.trimmingCharacters(in: ["[", "]"])
        self.port = parsed.port ?? 80
    }

    /// A new connection, not yet open, on the next of NIO's shared event loops: a fleet's connections spread over
    /// all of them.
    func connect(timeout: TimeAmount = .seconds(60)) -> BenchConnection {
        BenchConnection(host: host, port: port, on: MultiThreadedEventLoopGroup.singleton.next(), timeout: timeout)
    }
}
