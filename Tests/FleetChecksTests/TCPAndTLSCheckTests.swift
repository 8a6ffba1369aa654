import FleetChecks
import FleetTestSupport
import JSON
import Testing

/// `tcp@1` and `tls@1` against real loopback servers: a line server that greets and echoes, Python's HTTPS server
/// with a certificate made by openssl, and a closed port.
@Suite("tcp@1 and tls@1 checks", .serialized)
struct TCPAndTLSCheckTests {
    @Test("tcp: connect alone, an expected greeting, an echoed line; each failing case names what failed")
    func tcp() async throws {
        try await HTTPCheckTests.withTargets { targets in
            let port = JSONValue.number(.integer(Int64(targets.linePort)))
            let connected = try await TCPCheck(["host": "127.0.0.1", "port": port]).run().json
            #expect(connected["success"] == true && connected["ip"] == "127.0.0.1", "\(connected)")
            #expect(Set(connected["phases"]?.objectValue?.keys.map { $0 } ?? []) == ["dns", "connect"])

            let greeted = try await TCPCheck(["host": "127.0.0.1", "port": port, "expect": "^220 "]).run().json
            #expect(greeted["success"] == true, "\(greeted)")
            let echoed = try await TCPCheck(["host": "127.0.0.1", "port": port, "send": "ping\r\n", "expect": "echo ping"]).run().json
            #expect(echoed["success"] == true, "\(echoed)")
            let phases = try #require(echoed["phases"]?.objectValue)
            let sum = phases.values.compactMap { $0.numberValue?.doubleValue }.reduce(0, +)
            #expect(abs(sum - (echoed["duration_seconds"]?.numberValue?.doubleValue ?? 0)) < 0.005, "\(echoed)")

            let wrong = try await TCPCheck(["host": "127.0.0.1", "port": port, "expect": "^SSH-", "timeout_seconds": 0.5]).run().json
            #expect(wrong["success"] == false)
            #expect(wrong["reason"]?.stringValue == "expect: no answer matching /^SSH-/ within 0.5 s", "\(wrong)")

            // Bound and never listening: refuses connections, and no other test can take the port meanwhile.

            let reserved = try LoopbackPort()

            defer { withExtendedLifetime(reserved) {} }

            let closed = reserved.port
            let refused = try await TCPCheck(["host": "127.0.0.1", "port": .number(.integer(Int64(closed)))]).run().json
            #expect(refused["reason"]?.stringValue == "cannot connect to 127.0.0.1:\(closed): connection refused")

            let secure = try await TCPCheck([
                "host": "127.0.0.1", "port": .number(.integer(Int64(targets.httpsPort))), "tls": ["ca_file": .string(targets.certificate)],
                "send": "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", "expect": "hello agentfleet",
            ]).run().json
            #expect(secure["success"] == true && secure["tls"]?["verified"] == true, "\(secure)")
        }
    }

    @Test("tls: the chain's expiry, version and verdict; untrusted fails unless allowed; days_left_min; a wrong name")
    func tls() async throws {
        try await HTTPCheckTests.withTargets { targets in
            let port = JSONValue.number(.integer(Int64(targets.httpsPort)))
            let ca = JSONValue.string(targets.certificate)
            let trusted = try await TLSCheck(["host": "127.0.0.1", "port": port, "ca_file": ca]).run().json
            #expect(trusted["success"] == true && trusted["verified"] == true, "\(trusted)")
            #expect(trusted["not_after"]?.stringValue?.isEmpty == false && trusted["version"]?.stringValue?.hasPrefix("TLS 1.") == true)
            let days = try #require(trusted["days_left"]?.numberValue?.doubleValue)
            #expect(days > 29 && days <= 30)

            let untrusted = try await TLSCheck(["host": "127.0.0.1", "port": port]).run().json
            #expect(untrusted["success"] == false && untrusted["verified"] == false)
            #expect(untrusted["reason"]?.stringValue?.hasPrefix("certificate not trusted for 127.0.0.1") == true, "\(untrusted)")
            #expect(untrusted["days_left"] != nil, "the chain is still described")
            let allowed = try await TLSCheck(["host": "127.0.0.1", "port": port, "allow_untrusted": true]).run().json
            #expect(allowed["success"] == true && allowed["verified"] == false)

            let expiring = try await TLSCheck(["host": "127.0.0.1", "port": port, "ca_file": ca, "days_left_min": 45]).run().json
            #expect(expiring["reason"]?.stringValue?.hasPrefix("days_left_min: the chain expires in 29.") == true, "\(expiring)")

            let otherName = try await TLSCheck(["host": "127.0.0.1", "port": port, "ca_file": ca, "server_name": "example.org"]).run().json
            #expect(otherName["success"] == false)
            #expect(otherName["reason"]?.stringValue?.hasPrefix("certificate not trusted for example.org") == true, "\(otherName)")

            let plain = try await TLSCheck(["host": "127.0.0.1", "port": .number(.integer(Int64(targets.httpPort))), "timeout_seconds": 2]).run().json
            #expect(plain["success"] == false && plain["reason"] != nil, "\(plain)")
        }
    }
}
