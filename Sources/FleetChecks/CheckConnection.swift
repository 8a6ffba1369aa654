import JSON
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// TLS as a check asks for it: whose certificates to trust, whether to go on with an untrusted chain, and the name
/// to send (SNI) and verify.
struct TLSOptions: Sendable {
    var caFile: String?
    var skipVerify = false
    var serverName: String?

    init(caFile: String? = nil, skipVerify: Bool = false, serverName: String? = nil) {
        self.caFile = caFile
        self.skipVerify = skipVerify
        self.serverName = serverName
    }

    init(_ data: JSONValue?) {
        caFile = data?["ca_file"]?.stringValue
        skipVerify = data?["skip_verify"]?.boolValue ?? false
        serverName = data?["server_name"]?.stringValue
    }
}

/// A connection a check opened and timed: the lookup (`dns`), the TCP connect (`connect`) and, when asked, the TLS
/// handshake (`tls`), each a phase of the check's timer. Closed by its owner.
struct CheckConnection {
    let channel: any Channel
    let address: SocketAddress
    /// What the handshake saw, for TLS connections.
    let certificates: CertificateChecker.Seen?
    let tlsVersion: String?

    /// Opens a connection to `host:port` before `deadline`; failures and timeouts are thrown as the reason.
    static func open(
        host: String, port: Int, version: IPVersion, tls: TLSOptions?, deadline: ContinuousClock.Instant, timer: inout PhaseTimer,
        acceptUntrusted: Bool = false, pipeline: @escaping @Sendable (any Channel) throws -> Void = { _ in }
    ) async throws(CheckFailure) -> CheckConnection {
        let address: SocketAddress
        if let literal = HostResolver.literal(host, port: port) {
            address = literal
            timer.skip("dns")
        } else {
            address = try await within(deadline, "looking up \(host)") { () async throws(CheckFailure) in
                try await HostResolver.resolve(host, port: port, version: version)
            }
            timer.end("dns")
        }
        let remaining = timer.now.duration(to: deadline)
        guard remaining > .zero else { throw CheckFailure("timed out looking up \(host)") }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(Seconds.of(remaining) * 1e9)))
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: address).get()
        } catch let error as ChannelError where error == .connectTimeout(.zero) || "\(error)".contains("connectTimeout") {
            throw CheckFailure("timed out connecting to \(describe(address))")
        } catch {
            throw CheckFailure("cannot connect to \(describe(address)): \(connectFailure(error))")
        }
        timer.end("connect")
        guard let tls else {
            do {
                try await channel.eventLoop.submit { try pipeline(channel) }.get()
            } catch {
                channel.close(promise: nil)
                throw CheckFailure("cannot set up the connection: \(error)")
            }
            return CheckConnection(channel: channel, address: address, certificates: nil, tlsVersion: nil)
        }
        let serverName = tls.serverName ?? (HostResolver.literal(host, port: port) == nil ? host : nil)
        let checker = CertificateChecker(
            roots: try TrustRoots.store(caFile: tls.caFile), serverName: serverName ?? host,
            serverIP: serverName == nil ? address.ipAddress : nil, acceptUntrusted: acceptUntrusted || tls.skipVerify)
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        defer { handshake.fail(CheckFailure("the handshake ended")) }
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            // The checker verifies instead (NIOSSL skips its callback when verification is off).
            configuration.certificateVerification = .noHostnameVerification
            let context = try NIOSSLContext(configuration: configuration)
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(
                    context: context, serverHostname: serverName, customVerificationCallback: checker.verify)
                try channel.pipeline.syncOperations.addHandler(handler)
                try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: handshake))
                try pipeline(channel)
            }.get()
        } catch {
            channel.close(promise: nil)
            throw CheckFailure("cannot start TLS: \(error)")
        }
        let timeout = channel.eventLoop.scheduleTask(deadline: .at(deadline)) {
            handshake.fail(CheckFailure("timed out in the TLS handshake with \(describe(address))"))
        }
        defer { timeout.cancel() }
        do {
            try await handshake.futureResult.get()
        } catch {
            channel.close(promise: nil)
            if let untrusted = checker.result.untrusted { throw CheckFailure(untrusted) }
            if let failure = error as? CheckFailure { throw failure }
            throw CheckFailure("TLS handshake with \(describe(address)) failed: \(error)")
        }
        timer.end("tls")
        let version = try? await channel.pipeline.handler(type: NIOSSLClientHandler.self).flatMapThrowing { handler in
            CertificateChecker.versionName(handler.tlsVersion)
        }.get()
        return CheckConnection(channel: channel, address: address, certificates: checker.result, tlsVersion: version ?? nil)
    }

    static func describe(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "\(address)"
        let port = address.port.map(String.init) ?? "?"
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// "connection refused" rather than NIO's description of the errno.
    private static func connectFailure(_ error: any Error) -> String {
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first?.error {
            return connectFailure(first)
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENETUNREACH: return "network unreachable"
            case EHOSTUNREACH: return "host unreachable"
            case ETIMEDOUT: return "timed out"
            default: return "\(io)"
            }
        }
        return "\(error)"
    }

    /// Runs `work`, or throws a timeout naming `doing` when `deadline` comes first (the work is left to end alone:
    /// a system lookup cannot be cancelled).
    static func within<T: Sendable>(
        _ deadline: ContinuousClock.Instant, _ doing: String, _ work: @escaping @Sendable () async throws(CheckFailure) -> T
    ) async throws(CheckFailure) -> T {
        let race = AsyncRace<T>()
        let worker = Task {
            let result: Result<T, CheckFailure>
            do throws(CheckFailure) { result = .success(try await work()) } catch { result = .failure(error) }
            await race.finish(with: result)
        }
        let alarm = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            await race.finish(with: .failure(CheckFailure("timed out \(doing)")))
        }
        let result = await race.value()
        worker.cancel()
        alarm.cancel()
        return try result.get()
    }
}

/// The first of two results; later ones are dropped.
actor AsyncRace<T: Sendable> {
    private var result: Result<T, CheckFailure>?
    private var waiter: CheckedContinuation<Result<T, CheckFailure>, Never>?

    func finish(with result: Result<T, CheckFailure>) {
        guard self.result == nil else { return }
        self.result = result
        waiter?.resume(returning: result)
        waiter = nil
    }

    func value() async -> Result<T, CheckFailure> {
        if let result { return result }
        return await withCheckedContinuation { waiter = $0 }
    }
}

/// Completes its promise when the TLS handshake ends, or fails it when the connection closes or errs first.
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            done.succeed()
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(CheckFailure("the server closed the connection during the TLS handshake"))
        context.fireChannelInactive()
    }
}
