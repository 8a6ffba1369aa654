import Foundation

/// A TCP socket bound to a free port on 127.0.0.1 and held until released: bound at once (so that no other test can
/// take the port), listening only once `open()` is called; until then a connection to it is refused, as to a closed
/// port. The socket closes when the value goes.
public final class LoopbackPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw Failure("socket() failed") }
        guard withLoopbackAddress(port: 0, { bind(socketDescriptor, $0, $1) == 0 }) else {
            close(socketDescriptor)
            throw Failure("cannot bind a loopback port")
        }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &length) }
        }
        descriptor = socketDescriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    public func open() throws {
        guard listen(descriptor, 16) == 0 else { throw Failure("cannot listen on \(port)") }
    }

    deinit { close(descriptor) }
}

/// Asks the kernel for a free TCP port on 127.0.0.1 (free again once this returns, so another process may take it).
public func freeLoopbackPort() throws -> Int {
    try LoopbackPort().port
}
