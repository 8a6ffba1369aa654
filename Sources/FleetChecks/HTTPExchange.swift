import NIOCore
import NIOHTTP1

/// One HTTP/1.1 request and its response on a check's connection: when the first byte of the answer came, its
/// head, up to `keptBodyBytes` of its body (all of it counted), and when it ended.
struct HTTPExchangeResult: Sendable {
    var head: HTTPResponseHead
    var body: [UInt8]
    var bodyBytes: Int
    var firstByte: ContinuousClock.Instant
    var end: ContinuousClock.Instant
}

/// Stamps the first bytes that arrive, before the decoder sees them: the start of the answer as the wire has it.
final class FirstByteStamp: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private(set) var at: ContinuousClock.Instant?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if at == nil { at = .now }
        context.fireChannelRead(data)
    }
}

/// Collects the response; completes `done` once, with the response or the reason there is none.
final class HTTPExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let done: EventLoopPromise<HTTPExchangeResult>
    private let stamp: FirstByteStamp
    private let keptBodyBytes: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var bodyBytes = 0

    init(done: EventLoopPromise<HTTPExchangeResult>, stamp: FirstByteStamp, keptBodyBytes: Int) {
        self.done = done
        self.stamp = stamp
        self.keptBodyBytes = keptBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx answers are not the response.
            if head.status.code >= 200 || head.status == .switchingProtocols { self.head = head }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if body.count < keptBodyBytes { body += buffer.readableBytesView.prefix(keptBodyBytes - body.count) }
        case .end:
            guard let head else { return }
            done.succeed(HTTPExchangeResult(head: head, body: body, bodyBytes: bodyBytes, firstByte: stamp.at ?? .now, end: .now))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(CheckFailure(head == nil ? "no valid HTTP response: \(error)" : "the response broke off: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(CheckFailure(head == nil ? "the server closed the connection without a response" : "the server closed the connection before the response ended"))
    }

    func fail(_ failure: CheckFailure) {
        done.fail(failure)
    }
}
