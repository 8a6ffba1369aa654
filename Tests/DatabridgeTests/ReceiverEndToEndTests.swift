@testable import Databridge
import FleetTestSupport
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
        #expect(try await RawConnection(port: server.port).send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).readUntilClosed().isEmpty)
        // A 2 GB string length: refused at once, the connection closed.
        #expect(try await RawConnection(port: server.port).send([0x80, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff]).readUntilClosed().isEmpty)
        // Half a message, then the client goes away.
        try RawConnection(port: server.port).send(Array(valid.prefix(valid.count / 2))).close()
        // An unknown method: an application-exception reply, and the connection stays open for the next call.
        let connection = try RawConnection(port: server.port)
        let answer = try await connection.send(unknown + valid).read(atLeast: 40)
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

