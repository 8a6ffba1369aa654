@testable import Databridge
import Foundation
import Logging
import Testing

/// Our client against our server over real loopback TCP, and raw bytes against the server.
@Suite("Data-bridge client and server over TCP")
struct ReceiverEndToEndTests {
    static func start() async throws -> (DatabridgeServer, RecordingReceiver) {
        let logger = Logger(label: "test")
        let receiver = RecordingReceiver(userName: "admin", password: "s3cret", logger: logger)
        let server = try await DatabridgeServer.start(
            host: "127.0.0.1", port: 0, tls: nil, service: receiver, limits: ThriftLimits(maximumMessageBytes: 1 << 20), logger: logger)
        return (server, receiver)
    }

    @Test("login, stream definition, publish, session expiry and refusals, each as the IDL declares it")
    func conversation() async throws {
        let (server, receiver) = try await Self.start()
        defer { Task { await server.close() } }
        let client = try await DatabridgeClient.connect(host: "127.0.0.1", port: server.port, security: .plain)
        defer { client.close() }

        #expect(await fault { _ = try await client.connect(userName: "admin", password: "wrong") } == .authentication("invalid user name or password"))
        let session = try await client.connect(userName: "admin", password: "s3cret")
        let stream = try await client.defineStream(sessionID: session, definition: DatabridgeServiceTests.healthDefinition)
        #expect(stream == "cartridge_agent_health_stats:1.0.0")
        // The same definition again is fine; a different one under the same id is not.
        #expect(try await client.defineStream(sessionID: session, definition: DatabridgeServiceTests.healthDefinition) == stream)
        let redefined = await fault {
            _ = try await client.defineStream(sessionID: session, definition: #"{"name":"cartridge_agent_health_stats","version":"1.0.0"}"#)
        }
        #expect(redefined == .differentStreamDefinitionAlreadyDefined("cartridge_agent_health_stats:1.0.0 is already defined differently"))

        let bundle = EventBundle(
            sessionID: session, eventCount: 1, ints: [], longs: [1_700_000_000_000], doubles: [12.5], bools: [],
            strings: [stream, "c", "ci", "np", "m", "p", "memory_consumption"])
        try await client.publish(bundle)
        let record = try #require(receiver.records().last)
        #expect(record.event.timestamp == 1_700_000_000_000)
        #expect(record.event.payloadData.map(\.1) == ["c", "ci", "np", "m", "p", "memory_consumption", 12.5])
        #expect(record.transport == "plain")

        receiver.expireSessions()
        #expect(await fault { try await client.publish(bundle) } == .sessionExpired("session \(session) is not open"))
        // The connection stays usable after a declared exception.
        #expect(client.isOpen)
        let renewed = try await client.connect(userName: "admin", password: "s3cret")
        var again = bundle
        again.sessionID = renewed
        try await client.publish(again)
        #expect(receiver.records().count == 2)
    }

    @Test("garbage, a truncated message, a huge length and an unknown method: each refused, the server keeps serving")
    func badInput() async throws {
        let (server, receiver) = try await Self.start()
        defer { Task { await server.close() } }
        let valid = DatabridgeCall.connect(userName: "admin", password: "s3cret").message.encoded
        let unknown = ThriftMessage(name: "shutdown", kind: .call, sequenceID: 5, body: ThriftStruct()).encoded

        // Garbage: the connection is closed.
        #expect(try RawConnection(port: server.port).send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).readUntilClosed().isEmpty)
        // A 2 GB string length: refused at once, the connection closed.
        #expect(try RawConnection(port: server.port).send([0x80, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff]).readUntilClosed().isEmpty)
        // Half a message, then the client goes away.
        try RawConnection(port: server.port).send(Array(valid.prefix(valid.count / 2))).close()
        // An unknown method: an application-exception reply, and the connection stays open for the next call.
        let connection = try RawConnection(port: server.port)
        let answer = try connection.send(unknown + valid).read(atLeast: 40)
        var reader = ThriftBinaryReader(answer)
        let first = try reader.readMessage()
        #expect(first.kind == .exception && first.sequenceID == 5)
        #expect(ThriftApplicationError(first.body).code == .unknownMethod)
        connection.close()

        let client = try await DatabridgeClient.connect(host: "127.0.0.1", port: server.port, security: .plain)
        defer { client.close() }
        #expect(try await client.connect(userName: "admin", password: "s3cret").isEmpty == false)
        #expect(receiver.sessionCount >= 2)
    }

    @Test("a receiver that is not there fails the connect with a transport error")
    func nobodyListening() async throws {
        let (server, _) = try await Self.start()
        let port = server.port
        await server.close()
        var refused = false
        do {
            _ = try await DatabridgeClient.connect(host: "127.0.0.1", port: port, security: .plain, timeout: .seconds(2))
        } catch {
            if case .transport = error { refused = true }
        }
        #expect(refused)
    }
}

/// The declared exception a call threw; nil (and a recorded issue) for success or another error.
func fault(_ body: () async throws -> Void) async -> DatabridgeFault? {
    do {
        try await body()
        Issue.record("the call succeeded")
    } catch {
        if case .fault(let fault)? = error as? DatabridgeError { return fault }
        Issue.record("not a declared exception: \(error)")
    }
    return nil
}

/// A blocking loopback TCP connection for sending raw bytes.
final class RawConnection {
    private let descriptor: Int32
    /// Closing twice could close a descriptor the process has reused meanwhile.
    private var isClosed = false

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw RawConnectionError.failed("connect") }
    }

    @discardableResult
    func send(_ bytes: [UInt8]) throws -> RawConnection {
        let sent = bytes.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw RawConnectionError.failed("send") }
        return self
    }

    /// Bytes until the peer closes; a timeout (the peer kept the connection open) throws.
    func readUntilClosed() throws -> [UInt8] {
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

    func read(atLeast minimum: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < minimum {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            guard count > 0 else { throw RawConnectionError.failed("read ended after \(result.count) bytes") }
            result += chunk[0..<count]
        }
        return result
    }

    func close() {
        if !isClosed { Foundation.close(descriptor) }
        isClosed = true
    }

    deinit { close() }
}

enum RawConnectionError: Error {
    case failed(String)
}
