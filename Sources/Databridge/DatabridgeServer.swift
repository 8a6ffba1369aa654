import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// What a receiver does with each call; `transport` says which listener ("plain" or "tls") it came through.
public protocol DatabridgeService: Sendable {
    func handle(_ call: DatabridgeCall, transport: String) -> Result<DatabridgeReturn, DatabridgeFault>
}

/// Serves the data-bridge calls on one TCP port, plain or TLS. Each connection reads unframed binary-protocol
/// messages; bytes that cannot be a message close that connection only, and the listener keeps serving.
public final class DatabridgeServer: Sendable {
    private let channel: any Channel
    public let transport: String

    /// The port actually bound (useful when 0 was asked for).
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, transport: String) {
        self.channel = channel
        self.transport = transport
    }

    /// Binds `host:port`; with a TLS context, every connection must complete a TLS handshake first.
    public static func start(
        host: String, port: Int, tls: NIOSSLContext?, service: some DatabridgeService, limits: ThriftLimits = ThriftLimits(),
        logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> DatabridgeServer {
        let transport = tls == nil ? "plain" : "tls"
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let tls { try handlers.addHandler(NIOSSLServerHandler(context: tls)) }
                    try handlers.addHandler(ByteToMessageHandler(ThriftMessageDecoder(limits: limits)))
                    try handlers.addHandler(MessageToByteHandler(ThriftMessageEncoder()))
                    try handlers.addHandler(CallDispatcher(service: service, transport: transport, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return DatabridgeServer(channel: channel, transport: transport)
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Answers each call in order; a call of a kind the service does not know gets Thrift's application error.
final class CallDispatcher: ChannelInboundHandler {
    typealias InboundIn = ThriftMessage
    typealias OutboundOut = ThriftMessage

    private let service: any DatabridgeService
    private let transport: String
    private let logger: Logger

    init(service: any DatabridgeService, transport: String, logger: Logger) {
        self.service = service
        self.transport = transport
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard message.kind == .call || message.kind == .oneway else {
            let error = ThriftApplicationError("expected a call, got a \(message.kind) message", code: .invalidMessageType)
            context.writeAndFlush(wrapOutboundOut(ThriftMessage(name: message.name, kind: .exception, sequenceID: message.sequenceID, body: error.body)), promise: nil)
            return
        }
        let call: DatabridgeCall
        do {
            call = try DatabridgeCall(methodName: message.name, arguments: message.body)
        } catch {
            logger.warning("refused a call from \(context.remoteAddress?.description ?? "?"): \(error.message)")
            context.writeAndFlush(wrapOutboundOut(ThriftMessage(name: message.name, kind: .exception, sequenceID: message.sequenceID, body: error.body)), promise: nil)
            return
        }
        let outcome = service.handle(call, transport: transport)
        if message.kind == .call {
            context.writeAndFlush(wrapOutboundOut(call.reply(outcome, sequenceID: message.sequenceID)), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer that hangs up without TLS close_notify is common and harmless.
        let level: Logger.Level = (error as? NIOSSLError) == .uncleanShutdown ? .debug : .warning
        logger.log(level: level, "closing a \(transport) connection from \(context.remoteAddress?.description ?? "?"): \(error)")
        context.close(promise: nil)
    }
}
