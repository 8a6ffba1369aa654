import NIOCore
import NIOPosix
import NIOSSL

/// One connection to a data-bridge receiver: calls go out one at a time and each waits for its reply.
public final class DatabridgeClient: Sendable {
    public let host: String
    public let port: Int
    private let channel: any Channel
    private let timeout: Duration

    private init(host: String, port: Int, channel: any Channel, timeout: Duration) {
        self.host = host
        self.port = port
        self.channel = channel
        self.timeout = timeout
    }

    /// Opens the connection (and the TLS session, when asked) within `timeout`, which also bounds each call.
    public static func connect(
        host: String, port: Int, security: TransportSecurity, timeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(DatabridgeError) -> DatabridgeClient {
        let context: NIOSSLContext?
        do {
            context = try security.clientContext()
        } catch {
            throw .transport("TLS setup for \(host):\(port) failed: \(error)")
        }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let context {
                        try handlers.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    }
                    try handlers.addHandler(ByteToMessageHandler(ThriftMessageDecoder()))
                    try handlers.addHandler(MessageToByteHandler(ThriftMessageEncoder()))
                    try handlers.addHandler(ReplyMatcher())
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            return DatabridgeClient(host: host, port: port, channel: channel, timeout: timeout)
        } catch {
            throw .transport("cannot connect to \(host):\(port): \(error)")
        }
    }

    /// Sends the call and returns what the receiver answered; a declared exception throws `.fault`.
    public func call(_ call: DatabridgeCall) async throws(DatabridgeError) -> DatabridgeReturn {
        let reply: ThriftMessage
        do {
            let promise = channel.eventLoop.makePromise(of: ThriftMessage.self)
            let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                promise.fail(DatabridgeError.transport("no reply to \(call.methodName) from \(self.host):\(self.port) within \(self.timeout)"))
            }
            promise.futureResult.whenComplete { _ in deadline.cancel() }
            channel.writeAndFlush(PendingCall(message: call.message, reply: promise), promise: nil)
            reply = try await promise.futureResult.get()
        } catch let error as DatabridgeError {
            close()
            throw error
        } catch {
            close()
            throw .transport("\(call.methodName) to \(host):\(port) failed: \(error)")
        }
        return try call.decodeReply(reply)
    }

    public func connect(userName: String, password: String) async throws(DatabridgeError) -> String {
        try await call(.connect(userName: userName, password: password)).string ?? ""
    }

    public func defineStream(sessionID: String, definition: String) async throws(DatabridgeError) -> String {
        try await call(.defineStream(sessionID: sessionID, definition: definition)).string ?? ""
    }

    public func publish(_ bundle: EventBundle) async throws(DatabridgeError) {
        _ = try await call(.publish(bundle))
    }

    public func disconnect(sessionID: String) async throws(DatabridgeError) {
        _ = try await call(.disconnect(sessionID: sessionID))
    }

    public var isOpen: Bool { channel.isActive }

    public func close() {
        channel.close(promise: nil)
    }
}

/// A call on its way out, with the promise its reply completes.
struct PendingCall {
    var message: ThriftMessage
    var reply: EventLoopPromise<ThriftMessage>
}

/// Hands each reply to the oldest call waiting for one; fails every waiting call when the connection ends.
final class ReplyMatcher: ChannelDuplexHandler {
    typealias InboundIn = ThriftMessage
    typealias OutboundIn = PendingCall
    typealias OutboundOut = ThriftMessage

    private var waiting: [EventLoopPromise<ThriftMessage>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        waiting.append(call.reply)
        context.write(wrapOutboundOut(call.message), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard !waiting.isEmpty else {
            context.fireErrorCaught(DatabridgeError.protocolViolation("a \(reply.kind) message '\(reply.name)' arrived unasked"))
            return
        }
        waiting.removeFirst().succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(DatabridgeError.transport("connection to the receiver failed: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(DatabridgeError.transport("the receiver closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: DatabridgeError) {
        let pending = waiting
        waiting = []
        for promise in pending { promise.fail(error) }
    }
}
