import Databridge
import FleetTestSupport
import Foundation
import Testing

/// The cep-stub process: bad input on both ports is refused and it keeps serving; settings from flags and
/// environment; a bad setting stops it with one line.
@Suite("cep-stub")
struct CEPStubTests {
    @Test("a 15 MB message trickled in 8 KB writes is read in linear time: the stub's CPU stays far below what re-parsing costs")
    func trickledLargeMessage() async throws {
        let stub = try await CEPStubProcess()
        // A strict header for an unknown method, then a struct whose one field is a list of 3.75 million i32s.
        let count = 3_750_000
        var message: [UInt8] = [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 4] + Array("nope".utf8) + [0, 0, 0, 1]
        message += [ThriftType.list.rawValue, 0, 1, ThriftType.i32.rawValue]
        message += withUnsafeBytes(of: UInt32(count).bigEndian, Array.init)
        message += [UInt8](repeating: 7, count: count * 4)
        message += [ThriftType.stop.rawValue]
        // Decoding 3.75 million values takes a debug build seconds on a busy machine: the answer may be slow to come.
        let connection = try RawConnection(port: stub.plainPort, receiveTimeout: 120)
        let before = stub.statistics.cpuSeconds
        var offset = 0
        while offset < message.count {
            let end = min(offset + 8192, message.count)
            try connection.send(Array(message[offset..<end]))
            offset = end
        }
        // The stub answers an unknown method with an exception message, once the whole message is read.
        #expect(try await connection.read(atLeast: 1).count > 0)
        let used = stub.statistics.cpuSeconds - before
        // Parsing from the start on every write took 41 CPU-seconds; reading each byte once takes well under one.
        #expect(used < 8, "cep-stub used \(used) CPU-seconds for one trickled 15 MB message")
        #expect(stub.isRunning)
    }

    @Test("garbage, a truncated message and a huge length on the plain port, plain bytes on the TLS port: refused, still serving")
    func badInput() async throws {
        let stub = try await CEPStubProcess()
        #expect(try await RawConnection(port: stub.plainPort).send(Array("GET /events HTTP/1.1\r\n\r\n".utf8)).readUntilClosed().isEmpty)
        #expect(try await RawConnection(port: stub.plainPort).send([0x80, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xf0]).readUntilClosed().isEmpty)
        try RawConnection(port: stub.plainPort).send([0x80, 0x01, 0x00, 0x01, 0, 0, 0, 7, 0x63, 0x6f]).close()
        // Not a TLS ClientHello: the handshake fails and the connection closes.
        let tlsAnswer = try await RawConnection(port: stub.tlsPort).send(Array("\u{80}\u{01}garbage that is not TLS".utf8)).readUntilClosed()
        #expect(tlsAnswer.count < 64, "at most a TLS alert comes back")
        // A login still works on both ports.
        for (port, security) in [(stub.plainPort, TransportSecurity.plain), (stub.tlsPort, .unverified)] {
            let client = try await DatabridgeClient.connect(host: "127.0.0.1", port: port, security: security)
            #expect(try await client.connect(userName: "admin", password: "admin").count == 36)
            client.close()
        }
        let health = try await HTTP.get(stub.baseURL.appendingPathComponent("health"))
        #expect(health.status == 200)
        #expect(stub.log.contains("closing a plain connection"))
        #expect(stub.isRunning)
    }

    @Test("bad settings stop it with one line", arguments: [
        (["--plain-port", "70000"], "cep-stub: CEP_STUB_PLAIN_PORT: 70000 is not a port number (0 turns it off)"),
        (["--plain-port", "0", "--tls-port", "0"], "cep-stub: both data-bridge ports are 0: nothing to serve"),
        (["--certificate", "/tmp/x.pem"], "cep-stub: CEP_STUB_CERTIFICATE and CEP_STUB_PRIVATE_KEY: give both or neither"),
        (["--certificate", "/nonexistent.pem", "--private-key", "/nonexistent.key"], "cep-stub: TLS certificate:"),
    ])
    func badSettings(arguments: [String], message: String) async throws {
        let result = try await runCommand(
            CEPStubProcess.executable, ["--http-port", "0"] + arguments, environment: ["CEP_STUB_PLAIN_PORT": "0"])
        let text = result.errors
        #expect(result.status == 1)
        #expect(text.hasPrefix(message), "\(text)")
        #expect(text.split(separator: "\n").count == 1, "\(text)")
    }
}
