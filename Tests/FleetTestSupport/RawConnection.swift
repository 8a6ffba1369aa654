import Foundation

/// A blocking loopback TCP connection for sending raw bytes.
public final class RawConnection {
    private let descriptor: Int32
    /// Closing twice could close a descriptor the process has reused meanwhile.
    private var isClosed = false

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withLoopbackAddress(port: port) { connect(descriptor, $0, $1) == 0 }
        guard connected else { throw RawConnectionError.failed("connect") }
    }

    @discardableResult
    public func send(_ bytes: [UInt8]) throws -> RawConnection {
        let sent = bytes.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError.failed("send") }
        return self
    }

    /// Bytes until the peer closes; a timeout (the peer kept the connection open) throws.
    public func readUntilClosed() throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count == 0 { return result }
            if count < 0 {
                if errno == ECONNRESET { return result }
                throw RawConnectionError.failed("the server kept the connection open")
            }
            result += chunk[0..<count]
        }
    }

    public func read(atLeast minimum: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < minimum {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            guard count > 0 else { throw RawConnectionError.failed("read ended after \(result.count) bytes") }
            result += chunk[0..<count]
        }
        return result
    }

    public func close() {
        if !isClosed { Foundation.close(descriptor) }
        isClosed = true
    }

    deinit { close() }
}

public enum RawConnectionError: Error {
    case failed(String)
}

/// Calls `body` with the socket address of 127.0.0.1:`port`.
public func withLoopbackAddress<Result>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}
