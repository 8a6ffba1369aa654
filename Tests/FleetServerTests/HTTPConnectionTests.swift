@testable import FleetHTTP
import FleetServer
import FleetStore
import FleetTestSupport
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// The AFM's own HTTP/1.1 connection handling, from outside: the real server on a loopback port, raw bytes in and out.
@Suite("HTTP connections")
struct HTTPConnectionTests {
    @Test("a connection answers pipelined requests in order and stays open for more")
    func keepAliveAndPipelining() async throws {
        try await RunningServer.with { port in
            let connection = try await ResponseReader(port: port)
            try await connection.send("GET /status HTTP/1.1\r\nHost: a\r\n\r\nGET /no-such-page HTTP/1.1\r\nHost: a\r\n\r\n")
            let first = try await connection.next()
            let second = try await connection.next()
            #expect(first.status == 200)
            #expect(first.body == #"{"agents":0,"tasks_waiting":0}"#)
            #expect(second.status == 404)
            try await connection.send("GET /status HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await connection.next().status == 200)
        }
    }

    @Test("Connection: close, and HTTP/1.0 without keep-alive, close the connection after the answer")
    func closingRequests() async throws {
        try await RunningServer.with { port in
            for request in [
                "GET /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                "GET /status HTTP/1.0\r\n\r\n",
            ] {
                let connection = try await ResponseReader(port: port)
                try await connection.send(request)
                let answer = try await connection.next()
                #expect(answer.status == 200)
                #expect(answer.headers["connection"] == "close")
                #expect(try await connection.closedAfterAnswer(), "\(request)")
            }
            let keptAlive = try await ResponseReader(port: port)
            try await keptAlive.send("GET /status HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await keptAlive.next().headers["connection"] == "keep-alive")
            try await keptAlive.send("GET /status HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await keptAlive.next().status == 200)
        }
    }

    @Test("an unparsable request is answered 400 and its connection closed")
    func unparsableRequest() async throws {
        try await RunningServer.with { port in
            let connection = try await ResponseReader(port: port)
            try await connection.send("NOT HTTP AT ALL\r\n\r\n")
            #expect(try await connection.next().status == 400)
            #expect(try await connection.closedAfterAnswer())
        }
    }

    @Test("a body past the limit is answered 413, declared or chunked, and the connection goes on serving")
    func oversizedBodies() async throws {
        try await RunningServer.with(maximumBodySize: 100) { port in
            let connection = try await ResponseReader(port: port)
            let large = String(repeating: "x", count: 300)
            try await connection.send("POST /v2/tasks HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n\(large)")
            #expect(try await connection.next().status == 413)
            let chunks = String(repeating: "32\r\n\(String(repeating: "y", count: 50))\r\n", count: 6)
            try await connection.send("POST /v2/tasks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(chunks)0\r\n\r\n")
            #expect(try await connection.next().status == 413)
            try await connection.send("GET /status HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await connection.next().status == 200)
        }
    }

    @Test("a client that expects 100 Continue gets it before it sends the body")
    func expectContinue() async throws {
        try await RunningServer.with { port in
            let connection = try await ResponseReader(port: port)
            let task = #"{"task_type": "wait", "task_version": 1, "task_data": {"time": 1}}"#
            try await connection.send(
                "POST /v2/tasks HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: \(task.utf8.count)\r\n\r\n")
            #expect(try await connection.next().status == 100)
            try await connection.send(task)
            #expect(try await connection.next().status == 201)
        }
    }

    @Test("a body declared past the limit is not invited with 100 Continue; once sent, it is answered 413")
    func noContinueForTooLarge() async throws {
        try await RunningServer.with(maximumBodySize: 64) { port in
            let connection = try await ResponseReader(port: port)
            let body = String(repeating: "x", count: 100)
            try await connection.send(
                "POST /v2/tasks HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n")
            // The client sends the body after waiting in vain (as curl does after a second); the first answer it
            // reads is then the 413, not a 100.
            try await Task.sleep(for: .milliseconds(300))
            try await connection.send(body)
            #expect(try await connection.next().status == 413)
        }
    }

    @Test("a request's X-Request-ID is echoed; without one, or with one too long, the answer carries a new id")
    func requestID() async throws {
        try await RunningServer.with { port in
            let client = LiveClient(port: port)
            let given = try await client.execute(uri: "/status", method: .get, headers: [.init("X-Request-ID")!: "trace-42"])
            #expect(given.headers[.init("X-Request-ID")!] == "trace-42")
            let fresh = try await client.execute(uri: "/no/such/route", method: .get)
            #expect(fresh.status == .notFound && fresh.headers[.init("X-Request-ID")!]?.wholeMatch(of: /[0-9a-f]{16}/) != nil)
            let long = try await client.execute(uri: "/status", method: .get, headers: [.init("X-Request-ID")!: String(repeating: "x", count: 200)])
            #expect(long.headers[.init("X-Request-ID")!]?.count == 16)
        }
    }

    @Test("answers carry the Server header and the Date header in IMF-fixdate form")
    func standardHeaders() async throws {
        #expect(HTTPDateHeader.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDateHeader.format(1_788_318_245) == "Wed, 02 Sep 2026 03:04:05 GMT")
        try await RunningServer.with { port in
            let connection = try await ResponseReader(port: port)
            try await connection.send("GET /status HTTP/1.1\r\nHost: a\r\n\r\n")
            let answer = try await connection.next()
            #expect(answer.headers["server"] == "AgentFleet")
            let date = try #require(answer.headers["date"])
            #expect(date.wholeMatch(of: /[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/) != nil, "\(date)")
        }
    }

    @Test("a graceful shutdown closes idle keep-alive connections and ends")
    func shutdownClosesIdleConnections() async throws {
        let connection = try await RunningServer.with { port in
            let connection = try await ResponseReader(port: port)
            try await connection.send("GET /status HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try await connection.next().status == 200)
            return connection
        }
        // `with` returned, so the server stopped although this connection never asked to close.
        #expect(try await connection.closedAfterAnswer())
    }
}

/// An `AFMServer` on a free loopback port with an in-memory store, stopped gracefully after `body`.
/// A raw loopback connection that reads HTTP/1.1 answers one at a time (those with a Content-Length, as the AFM sends).
/// Non-blocking (NIO), so that waiting for the server never takes a thread the server's own tasks need.
final class ResponseReader {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Closed: Error {}

    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    /// Bytes read past the last answer (the start of the next pipelined one).
    private var pending: [UInt8] = []

    init(port: Int) async throws {
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        inbound = channel.inbound.makeAsyncIterator()
    }

    deinit {
        channel.outbound.finish()
        channel.channel.close(promise: nil)
    }

    func send(_ text: String) async throws {
        try await channel.outbound.write(ByteBuffer(string: text))
    }

    /// More bytes, or `Closed` when the server closed the connection; `TimedOut` (closing it) after twenty seconds,
    /// a bound for a server that never answers, far above any answer's time on a loaded machine.
    private func readMore() async throws -> [UInt8] {
        let timedOut = Flag()
        let channel = self.channel.channel
        let timer = channel.eventLoop.scheduleTask(in: .seconds(20)) {
            timedOut.raise()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        guard let buffer = try await inbound.next() else {
            throw timedOut.isRaised ? TimedOut() : Closed()
        }
        return Array(buffer: buffer)
    }

    func next() async throws -> Answer {
        let headEnd = Array("\r\n\r\n".utf8)
        var buffer = pending
        while buffer.firstRange(of: headEnd) == nil { buffer += try await readMore() }
        let range = buffer.firstRange(of: headEnd)!
        let lines = String(decoding: buffer[..<range.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < range.upperBound + length { buffer += try await readMore() }
        let body = String(decoding: buffer[range.upperBound..<range.upperBound + length], as: UTF8.self)
        pending = Array(buffer[(range.upperBound + length)...])
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        return Answer(status: status, headers: headers, body: body)
    }

    /// Whether the server closed the connection with nothing more after the answers read so far.
    func closedAfterAnswer() async throws -> Bool {
        guard pending.isEmpty else { return false }
        do {
            _ = try await readMore()
            return false
        } catch is Closed {
            return true
        }
    }
}

struct TimedOut: Error {}

/// Set once, read from any thread.
final class Flag: Sendable {
    private let raised = Mutex(false)

    func raise() { raised.withLock { $0 = true } }
    var isRaised: Bool { raised.withLock { $0 } }
}
