import JSON
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

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

    /// Opens a connection to `host:port` before `deadline`; failures and timeouts are thrown as the reason. Every
    /// handler, the caller's `pipeline` included, is in place before the connection is active, so that nothing the
    /// server sends first (a greeting) is missed; the marks are stamped where they happen (the lookup's thread,
    /// the event loop), so that a busy agent's late wake-up is not counted as the network's time.
    static func open(
        host: String, port: Int, version: IPVersion, tls: TLSOptions?, deadline: ContinuousClock.Instant, timer: inout PhaseTimer,
        acceptUntrusted: Bool = false, pipeline: @escaping @Sendable (any Channel) throws -> Void = { _ in }
    ) async throws(CheckFailure) -> CheckConnection {
        let address: SocketAddress
        if let literal = HostResolver.literal(host, port: port) {
            address = literal
            timer.skip("dns")
        } else {
            let resolved = try await within(deadline, "looking up \(host)") { () async throws(CheckFailure) in
                try await HostResolver.resolve(host, port: port, version: version)
            }
            address = resolved.address
            timer.end("dns", at: resolved.at)
        }
        let remaining = timer.now.duration(to: deadline)
        guard remaining > .zero else { throw CheckFailure("timed out looking up \(host)") }
        let serverName = tls.flatMap { $0.serverName ?? (HostResolver.literal(host, port: port) == nil ? host : nil) }
        var checker: CertificateChecker?
        var context: NIOSSLContext?
        if let tls {
            checker = CertificateChecker(
                roots: try await TrustRoots.store(caFile: tls.caFile), serverName: serverName ?? host,
                serverIP: serverName == nil ? address.ipAddress : nil, acceptUntrusted: acceptUntrusted || tls.skipVerify)
            do {
                var configuration = TLSConfiguration.makeClientConfiguration()
                // The checker verifies instead (NIOSSL skips its callback when verification is off).
                configuration.certificateVerification = .noHostnameVerification
                context = try NIOSSLContext(configuration: configuration)
            } catch {
                throw CheckFailure("cannot set up TLS: \(error)")
            }
        }
        let stamps = ConnectionStamps()
        let handshake = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self)
        defer { handshake.fail(CheckFailure("the handshake ended")) }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(Seconds.of(remaining) * 1e9)))
            .channelInitializer { [checker, context] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ConnectStamp(stamps: stamps))
                    if let checker, let context {
                        try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName, customVerificationCallback: checker.verify))
                        try sync.addHandler(HandshakeWatcher(done: handshake, stamps: stamps))
                    }
                    try pipeline(channel)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: address).get()
        } catch let error as ChannelError where "\(error)".contains("connectTimeout") {
            throw CheckFailure("timed out connecting to \(describe(address))")
        } catch {
            throw CheckFailure("cannot connect to \(describe(address)): \(connectFailure(error))")
        }
        timer.end("connect", at: stamps.connected)
        guard let checker else {
            return CheckConnection(channel: channel, address: address, certificates: nil, tlsVersion: nil)
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
        timer.end("tls", at: stamps.handshaken)
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

/// When a connection became active and its TLS handshake ended, as the event loop saw them.
final class ConnectionStamps: Sendable {
    private let marks = Mutex<(connected: ContinuousClock.Instant?, handshaken: ContinuousClock.Instant?)>((nil, nil))

    var connected: ContinuousClock.Instant? { marks.withLock { $0.connected } }
    var handshaken: ContinuousClock.Instant? { marks.withLock { $0.handshaken } }

    func connectedNow() { marks.withLock { $0.connected = .now } }
    func handshakenNow() { marks.withLock { $0.handshaken = .now } }
}

/// Stamps the moment the connection is established.
final class ConnectStamp: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let stamps: ConnectionStamps

    init(stamps: ConnectionStamps) {
        self.stamps = stamps
    }

    func channelActive(context: ChannelHandlerContext) {
        stamps.connectedNow()
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}

/// Completes its promise when the TLS handshake ends, or fails it when the connection closes or errs first.
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let done: EventLoopPromise<Void>
    private let stamps: ConnectionStamps

    init(done: EventLoopPromise<Void>, stamps: ConnectionStamps) {
        self.done = done
        self.stamps = stamps
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            stamps.handshakenNow()
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
