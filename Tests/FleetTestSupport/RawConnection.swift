import Foundation
import Synchronization

/// A loopback TCP connection for sending raw bytes and reading what comes back.
///
/// Its reads block in the kernel, so each runs on a thread of its own: the test process shares a cooperative pool
/// as wide as the machine has cores with servers the tests run in it, and a read that waited on one of its threads
/// would stall them.
public final class RawConnection: Sendable {
    private let descriptor: Int32
    /// Closing twice could close a descriptor the process has reused meanwhile.
    private let isClosed = Mutex(false)

    /// Reads give up after `receiveTimeout` seconds without a byte: a bound for a server that never answers or
    /// never closes, far above any answer's time on a loaded machine.
    public init(port: Int, receiveTimeout: Int = 20) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withLoopbackAddress(port: port) { connect(descriptor, $0, $1) == 0 }
        guard connected else { throw RawConnectionError.failed("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
    }

    @discardableResult
    public func send(_ bytes: [UInt8]) throws -> RawConnection {
        let sent = bytes.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError.failed("send") }
        return self
    }

    /// Bytes until the peer closes; a timeout (the peer kept the connection open) throws.
    public func readUntilClosed() async throws -> [UInt8] {
        try await onOwnThread { try self.blockingReadUntilClosed() }
    }

    private func blockingReadUntilClosed() throws -> [UInt8] {
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

    public func read(atLeast minimum: Int) async throws -> [UInt8] {
        try await onOwnThread { try self.blockingRead(atLeast: minimum) }
    }

    private func blockingRead(atLeast minimum: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < minimum {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            guard count > 0 else { throw RawConnectionError.failed("read ended after \(result.count) bytes") }
            result += chunk[0..<count]
        }
        return result
    }

    /// One HTTP/1.1 answer with a `Content-Length` body: its status line, header lines and body.
    public func readResponse() async throws -> (status: Int, head: String, body: [UInt8]) {
        try await onOwnThread { try self.blockingReadResponse() }
    }

    private func blockingReadResponse() throws -> (status: Int, head: String, body: [UInt8]) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while !bytes.ends(with: separator) {
            guard recv(descriptor, &chunk, 1, 0) == 1 else { throw RawConnectionError.failed("answer ended after \(bytes.count) bytes") }
            bytes.append(chunk[0])
        }
        let head = String(decoding: bytes, as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return (status, head, length == 0 ? [] : try blockingRead(atLeast: length))
    }

    /// Sends one kept-alive `POST` with a JSON body and reads its answer.
    public func post(_ path: String, json: String) async throws -> (status: Int, head: String, body: [UInt8]) {
        let body = Array(json.utf8)
        try send(Array("POST \(path) HTTP/1.1\r\nHost: afm\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        return try await readResponse()
    }

    /// Sends what fits into the socket's buffer without waiting; answers how many bytes went, or nil once the peer
    /// has closed or reset the connection.
    public func sendWithoutWaiting(_ bytes: [UInt8]) -> Int? {
        let sent = bytes.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        if sent >= 0 { return sent }
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : nil
    }

    /// Ends the sending side (a half-close): the peer reads the end of the stream after what was sent.
    public func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Whether the peer closes (or resets) the connection within `timeout` seconds; data it sends meanwhile is
    /// read and dropped.
    public func isClosedByPeer(within timeout: Double) async -> Bool {
        // The body throws nothing: `try?` only meets the helper's signature.
        (try? await onOwnThread { self.blockingIsClosedByPeer(within: timeout) }) ?? false
    }

    private func blockingIsClosedByPeer(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return false }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            let count = recv(descriptor, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
        }
    }

    /// Whether the peer closes or resets the connection within `timeout` seconds, seen without reading: for a
    /// client that never reads, where reading would drain the peer's answers and change what is being tested.
    public func isHungUpWithoutReading(within timeout: Double) async -> Bool {
        (try? await onOwnThread { self.blockingIsHungUp(within: timeout) }) ?? false
    }

    private func blockingIsHungUp(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        // POLLRDHUP reports the peer's FIN although unread data sits before it; POLLHUP and POLLERR a reset.
        let hangUp = Int16(0x2000) | Int16(POLLHUP) | Int16(POLLERR)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return false }
            var waiting = pollfd(fd: descriptor, events: hangUp, revents: 0)
            if poll(&waiting, 1, Int32(min(remaining, 0.2) * 1000) + 1) > 0, waiting.revents & hangUp != 0 { return true }
        }
    }

    public func close() {
        isClosed.withLock { closed in
            if !closed { Foundation.close(descriptor) }
            closed = true
        }
    }

    deinit { close() }
}

/// Runs `body`, which blocks, on a new thread and answers its result.
private func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Swift.Result { try body() }) }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
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
