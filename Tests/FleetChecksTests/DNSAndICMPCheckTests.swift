import FleetChecks
import FleetTestSupport
import Foundation
import JSON
import Testing

/// `dns@1` against dnsmasq on a loopback port, with A, MX and TXT records of its own; `icmp@1` to 127.0.0.1.
@Suite("dns@1 and icmp@1 checks", .serialized)
struct DNSAndICMPCheckTests {
    static let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let requireAll = ProcessInfo.processInfo.environment["AFM_TEST_REQUIRE_ALL"] == "1"

    /// A dnsmasq that answers for `fleet.test` only, from the command line, and forwards nothing.
    static func withDNSServer(_ body: (Int) async throws -> Void) async throws {
        let executable = try #require(dnsmasq, "dnsmasq is not installed (apt-get install dnsmasq-base)")
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces", "--listen-address=127.0.0.1",
            "--port=\(port)", "--user=\(getuid() == 0 ? "root" : NSUserName())", "--pid-file=", "--log-facility=-",
            "--local=/fleet.test/", "--address=/www.fleet.test/192.0.2.10", "--host-record=api.fleet.test,192.0.2.20,2001:db8::20",
            "--mx-host=fleet.test,mail.fleet.test,10", "--txt-record=fleet.test,v=spf1 -all",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("dnsmasq-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        process.standardError = try FileHandle(forWritingTo: log)
        let child = try ChildProcess(starting: process)
        defer { child.signal(SIGKILL) }
        var probe: CheckOutcome?
        let serving = await eventually(timeout: .seconds(20)) {
            probe = try? await DNSCheck(["name": "www.fleet.test", "server": "127.0.0.1", "port": .number(.integer(Int64(port))), "timeout_seconds": 2]).run()
            return probe?.success == true
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(serving, "dnsmasq did not answer: \(String(describing: probe?.json)); running: \(child.isRunning); its log: \(output)")
        try await body(port)
    }

    @Test("A, AAAA, MX and TXT answers; an expected set, a regex and a count, each passing and failing; NXDOMAIN; no server",
          .enabled(if: dnsmasq != nil || requireAll, "dnsmasq is not installed (apt-get install dnsmasq-base)"))
    func dns() async throws {
        try await Self.withDNSServer { port in
            func check(_ name: String, _ type: String, _ rules: JSONValue? = nil) async throws -> JSONValue {
                var data: [String: JSONValue] = ["name": .string(name), "record_type": .string(type), "server": "127.0.0.1", "port": .number(.integer(Int64(port)))]
                data["assert"] = rules
                return try await DNSCheck(.object(data)).run().json
            }
            let a = try await check("www.fleet.test", "A", ["answers": ["192.0.2.10"]])
            #expect(a["success"] == true && a["rcode"] == "NOERROR" && a["answers"] == ["192.0.2.10"], "\(a)")
            #expect(a["server"] == .string("127.0.0.1:\(port)"))
            let aaaa = try await check("api.fleet.test", "AAAA", ["answers_match": "^2001:db8::"])
            #expect(aaaa["success"] == true && aaaa["answers"] == ["2001:db8::20"], "\(aaaa)")
            let mx = try await check("fleet.test", "MX", ["answers": ["10 mail.fleet.test."]])
            #expect(mx["success"] == true, "\(mx)")
            let txt = try await check("fleet.test", "TXT", ["answers_match": "^v=spf1"])
            #expect(txt["success"] == true && txt["answers"] == ["v=spf1 -all"], "\(txt)")

            let otherSet = try await check("www.fleet.test", "A", ["answers": ["192.0.2.99"]])
            #expect(otherSet["reason"]?.stringValue == "assert.answers: got [192.0.2.10], not [192.0.2.99]")
            let noMatch = try await check("fleet.test", "TXT", ["answers_match": "^google-site"])
            #expect(noMatch["reason"]?.stringValue == "assert.answers_match: v=spf1 -all does not match /^google-site/")
            #expect(try await check("www.fleet.test", "A", ["min_answers": 1])["success"] == true)
            let few = try await check("www.fleet.test", "A", ["min_answers": 2])
            #expect(few["reason"]?.stringValue == "assert.min_answers: 1 answers, under 2")
            let missing = try await check("nothing.fleet.test", "A")
            #expect(missing["success"] == false && missing["rcode"] == "NXDOMAIN", "\(missing)")
            #expect(missing["reason"]?.stringValue == "assert.rcode: NXDOMAIN, not NOERROR")
            #expect(try await check("nothing.fleet.test", "A", ["rcode": "NXDOMAIN"])["success"] == true)
        }
        let closed = try freeLoopbackPort()
        let silent = try await DNSCheck(["name": "www.fleet.test", "server": "127.0.0.1", "port": .number(.integer(Int64(closed))), "timeout_seconds": 1]).run().json
        #expect(silent["success"] == false && silent["reason"] != nil, "\(silent)")
    }

    /// Whether this machine lets the test open an ICMP socket: a datagram one (ping_group_range) or a raw one.
    static let icmpSocketAllowed: Bool = {
        for type in [Int32(SOCK_DGRAM.rawValue), Int32(SOCK_RAW.rawValue)] {
            let descriptor = socket(AF_INET, type, Int32(IPPROTO_ICMP))
            if descriptor >= 0 {
                close(descriptor)
                return true
            }
        }
        return false
    }()

    @Test("icmp to 127.0.0.1: every reply back, round trips measured, loss and rtt assertions",
          .enabled(if: icmpSocketAllowed || requireAll, "no ICMP socket here: net.ipv4.ping_group_range excludes this group and there is no CAP_NET_RAW"))
    func icmp() async throws {
        let ping = try await ICMPCheck(["host": "127.0.0.1", "count": 3, "interval_seconds": 0.05]).run().json
        #expect(ping["success"] == true, "\(ping)")
        #expect(ping["sent"] == 3 && ping["received"] == 3 && ping["loss"] == 0, "\(ping)")
        let rtt = try #require(ping["rtt"])
        let minimum = try #require(rtt["min"]?.numberValue?.doubleValue), maximum = try #require(rtt["max"]?.numberValue?.doubleValue)
        #expect(minimum > 0 && minimum <= maximum && maximum < 1)
        #expect(["datagram", "raw"].contains(ping["socket"]?.stringValue ?? ""))
        // As root, the datagram socket is tried too: the kernel's ping_group_range opened to group 0 for the moment.
        let range = "/proc/sys/net/ipv4/ping_group_range"
        if ping["socket"] == "raw", getuid() == 0, let saved = try? String(contentsOfFile: range, encoding: .utf8),
            (try? "0 0".write(toFile: range, atomically: false, encoding: .utf8)) != nil
        {
            defer { try? saved.write(toFile: range, atomically: false, encoding: .utf8) }
            let datagram = try await ICMPCheck(["host": "127.0.0.1", "count": 2, "interval_seconds": 0.05]).run().json
            #expect(datagram["socket"] == "datagram" && datagram["received"] == 2, "\(datagram)")
        }
        let within = try await ICMPCheck([
            "host": "127.0.0.1", "count": 2, "interval_seconds": 0.05, "assert": ["max_loss": 0, "max_rtt_seconds": 1],
        ]).run().json
        #expect(within["success"] == true, "\(within)")
        let strict = try await ICMPCheck(["host": "127.0.0.1", "count": 2, "interval_seconds": 0.05, "assert": ["max_rtt_seconds": 0.000001]]).run().json
        #expect(strict["reason"]?.stringValue?.hasPrefix("assert.max_rtt_seconds: the average round trip") == true, "\(strict)")
    }
}
