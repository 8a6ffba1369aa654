import JSON
import JSONSchema
import NIOCore
import NIOPosix

/// `tcp@1`: connects to a port (optionally over TLS) and, when asked, sends a line and waits for an answer that
/// matches `expect`. Phases `dns`, `connect`, `tls` and, with an exchange, `exchange`.
public struct TCPCheck: Sendable {
    /// Received bytes kept for `expect`; an answer that has not matched by then does not.
    static let keptBytes = 64 << 10

    let endpoint: CheckEndpoint
    let tls: TLSOptions?
    let send: [UInt8]?
    let expect: Pattern?
    let limits: CheckLimits

    public init(_ data: JSONValue) throws(CheckDataError) {
        endpoint = try CheckEndpoint(data)
        switch data["tls"] {
        case nil, .bool(false)?: tls = nil
        case .bool(true)?: tls = TLSOptions()
        case let options?: tls = TLSOptions(options)
        }
        send = data["send"]?.stringValue.map { Array($0.utf8) }
        if let source = data["expect"] {
            guard let text = source.stringValue, let pattern = try? Pattern(text) else {
                throw CheckDataError("expect must be a valid regular expression (ECMA-262)")
            }
            expect = pattern
        } else {
            expect = nil
        }
        limits = try CheckLimits(data)
    }

    public func run() async -> CheckOutcome {
        var timer = PhaseTimer()
        let deadline = limits.deadline(from: timer)
        var outcome = CheckOutcome()
        let answer = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        let expect = expect
        do throws(CheckFailure) {
            let connection = try await CheckConnection.open(
                host: endpoint.host, port: endpoint.port, version: limits.ipVersion, tls: tls, deadline: deadline, timer: &timer
            ) { channel in
                if let expect { try channel.pipeline.syncOperations.addHandler(ExpectHandler(pattern: expect, done: answer)) }
            }
            outcome.details["ip"] = connection.address.ipAddress.map { .string($0) }
            if let seen = connection.certificates {
                outcome.details["tls"] = .object(CertificateChecker.facts(of: seen, version: connection.tlsVersion))
            }
            defer { connection.channel.close(promise: nil) }
            if send != nil || expect != nil {
                if let send { connection.channel.writeAndFlush(ByteBuffer(bytes: send), promise: nil) }
                if expect != nil {
                    let channel = connection.channel
                    let alarm = channel.eventLoop.scheduleTask(deadline: .at(deadline)) {
                        answer.fail(CheckFailure("expect: no answer matching /\(expect!.source)/ within \(limits.timeout) s"))
                    }
                    defer { alarm.cancel() }
                    do {
                        try await answer.futureResult.get()
                    } catch {
                        throw (error as? CheckFailure) ?? CheckFailure("expect: \(error)")
                    }
                }
                timer.end("exchange")
            }
        } catch {
            outcome.fail(error.description)
        }
        answer.succeed()
        outcome.durationSeconds = outcome.success ? timer.measured : timer.elapsed
        outcome.details["phases"] = timer.json
        return outcome
    }
}

/// Reads what the server sends until it matches the pattern, the kept bytes run out or the connection closes.
final class ExpectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let pattern: Pattern
    private let done: EventLoopPromise<Void>
    private var received: [UInt8] = []

    init(pattern: Pattern, done: EventLoopPromise<Void>) {
        self.pattern = pattern
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard received.count < TCPCheck.keptBytes else { return }
        received += buffer.readableBytesView.prefix(TCPCheck.keptBytes - received.count)
        switch pattern.match(String(decoding: received, as: UTF8.self)) {
        case .matched: done.succeed()
        case .timedOut: done.fail(CheckFailure("expect: /\(pattern.source)/ took over \(Pattern.timeBudget) on the answer"))
        case .notMatched:
            if received.count >= TCPCheck.keptBytes {
                done.fail(CheckFailure("expect: the first \(TCPCheck.keptBytes) bytes do not match /\(pattern.source)/"))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let shown = String(decoding: received.prefix(200), as: UTF8.self)
        done.fail(CheckFailure("expect: the server closed the connection; its answer \(shown.debugDescription) does not match /\(pattern.source)/"))
        context.fireChannelInactive()
    }
}
