#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import JSON
import NIOCore
import NIOPosix

/// `icmp@1`: `count` echo requests `interval_seconds` apart, and what came back: packets sent and received, loss,
/// and round-trip times (min, avg, max, stddev) on a monotonic clock. Succeeds when a reply came back (or the loss
/// is within `assert.max_loss`) and the average round trip is within `assert.max_rtt_seconds`.
///
/// It sends over an unprivileged ICMP datagram socket where the kernel allows one (`net.ipv4.ping_group_range`
/// holds the agent's group), else over a raw socket, which needs `CAP_NET_RAW`; the result's `socket` says which.
/// The socket is used on a thread of `Pinger.threads`, with `poll` bounded by the check's deadline.
public struct ICMPCheck: Sendable {
    let host: String
    let count: Int
    let interval: Double
    let limits: CheckLimits
    let maxLoss: Double?
    let maxRTT: Double?

    public init(_ data: JSONValue) throws(CheckDataError) {
        guard let host = data["host"]?.stringValue, !host.isEmpty else { throw CheckDataError("host must be a host name or address") }
        self.host = host
        count = Int(data["count"]?.numberValue?.int64Value ?? 3)
        guard (1...100).contains(count) else { throw CheckDataError("count must be 1 to 100") }
        interval = data["interval_seconds"]?.numberValue?.doubleValue ?? 1
        guard interval >= 0.01, interval <= 60 else { throw CheckDataError("interval_seconds must be 0.01 to 60") }
        limits = try CheckLimits(data)
        maxLoss = data["assert"]?["max_loss"]?.numberValue?.doubleValue
        maxRTT = data["assert"]?["max_rtt_seconds"]?.numberValue?.doubleValue
    }

    public func run() async -> CheckOutcome {
        let timer = PhaseTimer()
        let deadline = limits.deadline(from: timer)
        var outcome = CheckOutcome()
        do throws(CheckFailure) {
            let address: SocketAddress
            if let literal = HostResolver.literal(host, port: 0) {
                address = literal
            } else {
                address = try await CheckConnection.within(deadline, "looking up \(host)") { [host, limits] () async throws(CheckFailure) in
                    try await HostResolver.resolve(host, port: 0, version: limits.ipVersion).address
                }
            }
            outcome.details["ip"] = address.ipAddress.map { .string($0) }
            let pinger = Pinger(address: address, count: count, interval: interval, deadline: deadline)
            let report: Result<Pinger.Report, CheckFailure>
            do {
                report = try await Pinger.threads.runIfActive { pinger.run() }
            } catch {
                throw CheckFailure("cannot run the ping: \(error)")
            }
            let result = try report.get()
            outcome.details["socket"] = .string(result.socket)
            outcome.details["sent"] = .number(.integer(Int64(result.sent)))
            outcome.details["received"] = .number(.integer(Int64(result.rtts.count)))
            let loss = result.sent == 0 ? 1 : 1 - Double(result.rtts.count) / Double(result.sent)
            outcome.details["loss"] = .number(.double((loss * 10_000).rounded() / 10_000))
            if !result.rtts.isEmpty {
                let average = result.rtts.reduce(0, +) / Double(result.rtts.count)
                let variance = result.rtts.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(result.rtts.count)
                outcome.details["rtt"] = [
                    "min": Seconds.json(result.rtts.min()!), "avg": Seconds.json(average), "max": Seconds.json(result.rtts.max()!),
                    "stddev": Seconds.json(variance.squareRoot()),
                ]
                if let maxRTT, average > maxRTT {
                    outcome.fail("assert.max_rtt_seconds: the average round trip \(Seconds.rounded(average)) s is over \(maxRTT) s")
                }
            }
            if let maxLoss {
                if loss > maxLoss { outcome.fail("assert.max_loss: lost \(result.sent - result.rtts.count) of \(result.sent), over \(maxLoss)") }
            } else if result.rtts.isEmpty {
                outcome.fail("no echo reply from \(address.ipAddress ?? host) to \(result.sent) requests")
            }
        } catch {
            outcome.fail(error.description)
        }
        outcome.durationSeconds = timer.elapsed
        return outcome
    }
}

/// The blocking side of `icmp@1`, run on a pool thread.
struct Pinger: Sendable {
    /// Threads of their own, so that pings (up to 100 s each) never hold back the lookups of other checks, which
    /// use NIO's shared pool; more pings at once than threads wait their turn within their deadline.
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    struct Report: Sendable {
        var socket = "datagram"
        var sent = 0
        var rtts: [Double] = []
    }

    let address: SocketAddress
    let count: Int
    let interval: Double
    let deadline: ContinuousClock.Instant

    func run() -> Result<Report, CheckFailure> {
        let v6 = address.protocol == .inet6
        let family = v6 ? AF_INET6 : AF_INET
        let proto = Int32(v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)
        var report = Report()
        var descriptor = socket(family, Int32(SOCK_DGRAM.rawValue), proto)
        if descriptor < 0 {
            descriptor = socket(family, Int32(SOCK_RAW.rawValue), proto)
            report.socket = "raw"
        }
        guard descriptor >= 0 else {
            return .failure(CheckFailure(
                "cannot open an ICMP socket: \(String(cString: strerror(errno))) (the agent needs its group in net.ipv4.ping_group_range, or CAP_NET_RAW)"))
        }
        defer { close(descriptor) }
        let identifier = UInt16.random(in: 1...UInt16.max)
        let clock = ContinuousClock()
        let start = clock.now
        var sentAt: [UInt16: ContinuousClock.Instant] = [:]
        var next = 0
        while clock.now < deadline {
            let now = clock.now
            if next < count, now >= start.advanced(by: .nanoseconds(Int64(Double(next) * interval * 1e9))) {
                let packet = Self.echoRequest(v6: v6, identifier: identifier, sequence: UInt16(next))
                if send(packet, on: descriptor) { sentAt[UInt16(next)] = clock.now }
                report.sent += 1
                next += 1
                continue
            }
            // Every request sent and every reply in (a reply removes its request): nothing left to wait for.
            if next == count, sentAt.isEmpty { break }
            let until = next < count ? min(deadline, start.advanced(by: .nanoseconds(Int64(Double(next) * interval * 1e9)))) : deadline
            let wait = max(0, Int32(Seconds.of(clock.now.duration(to: until)) * 1000) + 1)
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, wait) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1500)
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { continue }
            let arrived = clock.now
            if let sequence = Self.replySequence(Array(buffer[..<received]), v6: v6, raw: report.socket == "raw", identifier: identifier),
                let sent = sentAt[sequence], sent <= arrived
            {
                report.rtts.append(Seconds.of(sent.duration(to: arrived)))
                // A duplicate reply finds no request left, and is not counted twice.
                sentAt[sequence] = nil
            }
        }
        return .success(report)
    }

    private func send(_ packet: [UInt8], on descriptor: Int32) -> Bool {
        address.withSockAddr { pointer, length in
            packet.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, pointer, socklen_t(length)) } == packet.count
        }
    }

    static func echoRequest(v6: Bool, identifier: UInt16, sequence: UInt16) -> [UInt8] {
        var packet: [UInt8] = [v6 ? 128 : 8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xFF), UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        packet += Array("agentfleet-icmp-check".utf8)
        // ICMPv6 checksums are the kernel's (they cover the addresses); ICMPv4's are ours.
        if !v6 {
            let sum = checksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xFF)
        }
        return packet
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The sequence number of an echo reply to this check; nil for anything else. A raw IPv4 socket hands over
    /// the IP header too, and every ICMP message of the host; a datagram socket only replies to its own
    /// requests, with the identifier the kernel chose.
    static func replySequence(_ packet: [UInt8], v6: Bool, raw: Bool, identifier: UInt16) -> UInt16? {
        var icmp = packet[...]
        if raw, !v6 {
            guard let first = packet.first else { return nil }
            let headerLength = Int(first & 0x0F) * 4
            guard packet.count >= headerLength + 8 else { return nil }
            icmp = packet[headerLength...]
        }
        guard icmp.count >= 8, icmp[icmp.startIndex] == (v6 ? 129 : 0) else { return nil }
        let base = icmp.startIndex
        let id = UInt16(icmp[base + 4]) << 8 | UInt16(icmp[base + 5])
        if raw, id != identifier { return nil }
        return UInt16(icmp[base + 6]) << 8 | UInt16(icmp[base + 7])
    }
}
