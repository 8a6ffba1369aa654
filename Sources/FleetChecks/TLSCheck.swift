import JSON

/// `tls@1`: a TLS handshake with `host:port`, and what it shows of the server's certificate chain: its earliest
/// expiry and the days left, the version agreed, and whether the chain verifies for the server name. Fails when it
/// does not verify (unless `allow_untrusted`) or fewer than `days_left_min` days are left.
public struct TLSCheck: Sendable {
    let endpoint: CheckEndpoint
    let tls: TLSOptions
    let daysLeftMin: Double
    let allowUntrusted: Bool
    let limits: CheckLimits

    public init(_ data: JSONValue) throws(CheckDataError) {
        endpoint = try CheckEndpoint(data, defaultPort: 443)
        tls = TLSOptions(caFile: data["ca_file"]?.stringValue, serverName: data["server_name"]?.stringValue)
        daysLeftMin = data["days_left_min"]?.numberValue?.doubleValue ?? 0
        allowUntrusted = data["allow_untrusted"]?.boolValue ?? false
        limits = try CheckLimits(data)
    }

    public func run() async -> CheckOutcome {
        var timer = PhaseTimer()
        let deadline = limits.deadline(from: timer)
        var outcome = CheckOutcome()
        var handshaken = false
        do throws(CheckFailure) {
            let connection = try await CheckConnection.open(
                host: endpoint.host, port: endpoint.port, version: limits.ipVersion, tls: tls, deadline: deadline, timer: &timer, acceptUntrusted: true)
            connection.channel.close(promise: nil)
            handshaken = true
            outcome.details["ip"] = connection.address.ipAddress.map { .string($0) }
            let seen = connection.certificates ?? .init()
            let facts = CertificateChecker.facts(of: seen, version: connection.tlsVersion)
            for (name, value) in facts { outcome.details[name] = value }
            if !allowUntrusted, let untrusted = seen.untrusted { outcome.fail(untrusted) }
            if let days = facts["days_left"]?.numberValue?.doubleValue, days < daysLeftMin {
                outcome.fail("days_left_min: the chain expires in \(days) days, under \(daysLeftMin)")
            }
        } catch {
            outcome.fail(error.description)
        }
        // To the handshake's end when there was one, the verdict on the chain being no part of the server's time.
        outcome.durationSeconds = handshaken ? timer.measured : timer.elapsed
        outcome.details["phases"] = timer.json
        return outcome
    }
}
