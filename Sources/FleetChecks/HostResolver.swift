#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Which addresses of a host a check may use.
public enum IPVersion: String, Sendable {
    case any, v4 = "4", v6 = "6"

    init(_ value: String?) throws(CheckDataError) {
        guard let value else { self = .any; return }
        guard let version = IPVersion(rawValue: value) else { throw CheckDataError("ip_version must be \"4\", \"6\" or \"any\"") }
        self = version
    }
}

/// Looks a host up with the system resolver (getaddrinfo, as the agent's other connections do), on NIO's thread
/// pool so that no task thread blocks. A host written as an address is not looked up.
enum HostResolver {
    static func literal(_ host: String, port: Int) -> SocketAddress? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return try? SocketAddress(ipAddress: bare, port: port)
    }

    /// The first address of `host` in the version asked for, and when the lookup ended; or the reason there is none.
    static func resolve(_ host: String, port: Int, version: IPVersion) async throws(CheckFailure) -> (address: SocketAddress, at: ContinuousClock.Instant) {
        let found: Result<[SocketAddress], CheckFailure>
        let at: ContinuousClock.Instant
        do {
            (found, at) = try await NIOThreadPool.singleton.runIfActive { (lookUp(host, port: port, version: version), .now) }
        } catch {
            throw CheckFailure("cannot look up \(host): \(error)")
        }
        switch found {
        case .success(let addresses):
            guard let first = addresses.first else { throw CheckFailure("\(host) has no IPv\(version.rawValue) address") }
            return (first, at)
        case .failure(let failure):
            throw failure
        }
    }

    private static func lookUp(_ host: String, port: Int, version: IPVersion) -> Result<[SocketAddress], CheckFailure> {
        var hints = addrinfo()
        hints.ai_family = switch version {
        case .any: AF_UNSPEC
        case .v4: AF_INET
        case .v6: AF_INET6
        }
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            return .failure(CheckFailure("cannot look up \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(SocketAddress($0.pointee, host: host)) }
                default: break
                }
            }
            entry = current.pointee.ai_next
        }
        // IPv4 first when either will do, as most probes do: a host with a broken IPv6 route should not fail
        // a check that did not ask for IPv6.
        if version == .any { addresses.sort { ($0.protocol == .inet ? 0 : 1) < ($1.protocol == .inet ? 0 : 1) } }
        return .success(addresses)
    }
}

/// Why a check could not get what it measures; becomes its `reason`.
public struct CheckFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
