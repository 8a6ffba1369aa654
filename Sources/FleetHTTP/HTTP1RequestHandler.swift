import EventLoopExecutor
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers the requests of one HTTP/1.1 connection from NIO events, starting a task only while a request is answered.
///
/// `HTTPServerPipelineHandler` in front of it hands over one request at a time (holding back pipelined ones until the
/// answer to the previous one is written), closes idle connections when the server quiesces and after a client's
/// half-close; `HTTPServerProtocolErrorHandler` answers unparsable requests with 400. This handler collects the body
/// (up to one byte past the limit, so that the route still sees it is too large and answers 413 while the rest is
/// read and dropped; a client that expects `100 Continue` gets it first, unless the length it declares is already
/// past the limit), asks `answer` for the response and writes
/// it, closing the connection afterwards when the client did not ask to keep it alive or has half-closed it.
///
/// A request that arrives while earlier answers are still unsent (the channel is not writable) waits for them to
/// drain before it is answered, so a client that pipelines and never reads makes no more answers than one.
/// `ConnectionGuard` learns each request's phases from here to time them.
final class HTTP1RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The response to a request, which never throws: server faults are already answered with 500. The hang-up
    /// fires when the client goes.
    typealias Serve = @Sendable (Request, any Channel, ConnectionHangUp) async -> Reply

    /// A response made now, or made later by `make`, started once `gate` opens: until then (a held poll's wait) no
    /// task is kept for the request.
    enum Reply: Sendable {
        case now(Response)
        case later(gate: Answer.Gate, make: @Sendable () async -> Response)
    }

    private let answer: Serve
    private let maximumBodySize: Int
    private let logger: Logger
    private let executor: EventLoopTaskExecutor
    private let connectionGuard: ConnectionGuard
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// A complete request waiting for the channel to become writable again.
    private var waiting: (head: HTTPRequestHead, body: ByteBuffer)?
    /// A request is being answered (from its end until its answer is written).
    private var answering = false
    /// The client half-closed the connection: close it once nothing is left to answer.
    private var inputClosed = false
    /// Ends a held poll of this connection's when the client goes.
    private let hangUp = ConnectionHangUp()

    init(eventLoop: any EventLoop, maximumBodySize: Int, logger: Logger, connectionGuard: ConnectionGuard, answer: @escaping Serve) {
        self.executor = EventLoopTaskExecutor(eventLoop)
        self.connectionGuard = connectionGuard
        self.answer = answer
        self.maximumBodySize = maximumBodySize
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            connectionGuard.headReceived()
            let declared = head.headers.first(name: "content-length").flatMap(Int.init)
            if head.version == .http1_1, head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }),
                (declared ?? 0) <= maximumBodySize
            {
                // curl waits a second for this before sending a body over 1 KB. A body declared past the limit gets
                // no invitation: the client sends it after its own wait, or not at all, and the route answers 413.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case .body(var part):
            guard var collected = body.take() else {
                body = part.readSlice(length: min(part.readableBytes, maximumBodySize + 1))
                return
            }
            let room = maximumBodySize + 1 - collected.readableBytes
            if room > 0, var kept = part.readSlice(length: min(part.readableBytes, room)) {
                collected.writeBuffer(&kept)
            }
            body = collected
        case .end:
            guard let head = head.take() else { return }
            connectionGuard.requestReceived()
            answering = true
            let body = body.take() ?? ByteBuffer()
            if context.channel.isWritable {
                respond(to: head, body: body, context: context)
            } else {
                waiting = (head, body)
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let (head, body) = waiting.take() {
            respond(to: head, body: body, context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client sends nothing more: without this the connection would stay half-open (CLOSE-WAIT) for good.
            inputClosed = true
            hangUp.hangUp()
            if !answering && head == nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hangUp.hangUp()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing an HTTP connection after an error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        let request: HTTPRequest
        do {
            request = try HTTPRequest(head, secure: false, splitCookie: false)
        } catch {
            // A method or target HTTP types cannot represent: the client's mistake.
            write(Response(status: .badRequest), body: ByteBuffer(), to: head, keepAlive: false, context: context)
            return
        }
        let onLoop = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let channel = context.channel
        let answer = self.answer
        let executor = self.executor
        let hangUp = self.hangUp
        let acceptsGzip = ResponseCompression.acceptsGzip(head.headers)
        let send: @Sendable (Response) async -> Void = { response in
            var response = response
            var bytes = await CollectedResponseBody.bytes(of: response.body)
            if response.headers[.contentEncoding] == nil, ResponseCompression.isCompressible(contentType: response.headers[.contentType]) {
                response.headers[.vary] = "Accept-Encoding"
                // A HEAD answer is compressed too, so that it declares the length its GET would have.
                if acceptsGzip, bytes.readableBytes >= ResponseCompression.minimumSize, let compressed = ResponseCompression.gzip(bytes) {
                    bytes = compressed
                    response.headers[.contentEncoding] = "gzip"
                    response.headers[.contentLength] = String(compressed.readableBytes)
                }
            }
            let (compressedResponse, compressedBytes) = (response, bytes)
            let write: @Sendable () -> Void = {
                let (response, bytes) = (compressedResponse, compressedBytes)
                let (handler, context) = onLoop.value
                handler.write(response, body: bytes, to: head, keepAlive: keepAlive, context: context)
            }
            if channel.eventLoop.inEventLoop { write() } else { channel.eventLoop.execute(write) }
        }
        Task(executorPreference: executor) {
            let reply = await PreferredExecutor.$current.withValue(executor) {
                await answer(Request(head: request, body: RequestBody(buffer: body)), channel, hangUp)
            }
            switch reply {
            case .now(let response):
                await send(response)
            case .later(let gate, let make):
                gate {
                    Task(executorPreference: executor) {
                        await send(await PreferredExecutor.$current.withValue(executor) { await make() })
                    }
                }
            }
        }
    }

    private func write(_ response: Response, body: ByteBuffer, to request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        var head = HTTPResponseHead(response.head)
        head.version = request.version
        let status = head.status.code
        let mayHaveBody = status >= 200 && status != 204 && status != 304
        // The body is all here, so its length is known for certain (a HEAD answer keeps the length it declares).
        if mayHaveBody, request.method != .HEAD || !head.headers.contains(name: "content-length") {
            head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        if !keepAlive {
            head.headers.replaceOrAdd(name: "connection", value: "close")
        } else if request.version == .http1_0 {
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if mayHaveBody, request.method != .HEAD, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        // Before the end is written: writing it may hand over the next pipelined request at once.
        answering = false
        connectionGuard.answerWritten()
        let closing = !keepAlive || inputClosed
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closing {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
