import EventLoopExecutor
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An answer as the benchmark reads it: the status and the whole body.
struct BenchResponse: Sendable {
    let status: Int
    let body: ByteBuffer
    /// The AFM held the request as its `Prefer` header asked (`Preference-Applied`).
    var preferenceApplied = false
}

enum BenchConnectionError: Error {
    /// The AFM closed the connection before answering.
    case closedBeforeAnswer
    /// No answer within the request timeout.
    case timedOut
}

/// One HTTP/1.1 connection to one AFM, used by one simulated agent or BPMS client, one request at a time. Opened on
/// first use and again after the AFM (or a `Connection: close` request) closed it.
///
/// The benchmark shares the machine's cores with afm and PostgreSQL, so it does no more per request than that:
/// NIO's HTTP codec and one promise, with no connection pool, request queue or tracing between the caller and the
/// socket. Every connection belongs to one event loop, the same one for its whole life, and its user's task
/// runs there too (`executor`).
final class BenchConnection: Sendable {
    let host: String
    let port: Int
    let eventLoop: any EventLoop
    /// Runs the task that uses this connection on its event loop, where its answers arrive.
    let executor: EventLoopTaskExecutor
    private let timeout: TimeAmount
    private let hostHeader: String
    private let channel = Mutex<(any Channel)?>(nil)

    init(host: String, port: Int, on eventLoop: any EventLoop, timeout: TimeAmount = .seconds(60)) {
        self.host = host
        self.port = port
        self.eventLoop = eventLoop
        self.executor = EventLoopTaskExecutor(eventLoop)
        self.timeout = timeout
        self.hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Sends one request and waits for its whole answer. `closing` asks the AFM to close the connection after
    /// answering, so the next request opens a new one.
    func send(
        _ method: HTTPMethod, _ path: String, headers extraHeaders: [(String, String)] = [], body: ByteBuffer? = nil, closing: Bool = false
    ) async throws -> BenchResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(4 + extraHeaders.count)
        headers.add(name: "Host", value: hostHeader)
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        if closing { headers.add(name: "Connection", value: "close") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)

        let channel = try await openChannel()
        let answer = eventLoop.makePromise(of: BenchResponse.self)
        let deadline = eventLoop.scheduleTask(in: timeout) {
            answer.fail(BenchConnectionError.timedOut)
            channel.close(promise: nil)
        }
        // A write to a connection that closed in the meantime fails here; completing an answered promise is a no-op.
        channel.writeAndFlush(PendingRequest(head: head, body: body, answer: answer)).whenFailure { answer.fail($0) }
        defer { deadline.cancel() }
        return try await answer.futureResult.get()
    }

    /// Closes the connection if one is open.
    func close() async {
        let open = channel.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await open?.close()
    }

    private func openChannel() async throws -> any Channel {
        if let open = channel.withLock({ $0 }), open.isActive { return open }
        // NIO's client bootstrap turns TCP_NODELAY on by itself. (`.socketOption(.tcp_nodelay)` would not: it sets
        // option 1 at the socket level, SO_DEBUG, which needs CAP_NET_ADMIN and fails every connect without it.)
        let opened = try await ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: host, port: port)
            .get()
        let replaced = channel.withLock { channel in
            defer { channel = opened }
            return channel
        }
        replaced?.close(promise: nil)
        return opened
    }
}

/// A request on its way to the socket, with the promise its answer completes.
private struct PendingRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let answer: EventLoopPromise<BenchResponse>
}

/// Writes requests and hands each complete answer to the promise of the request it answers (answers come in request
/// order on an HTTP/1.1 connection). Fails the waiting requests when the connection ends.
private final class ResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<BenchResponse>>(initialCapacity: 1)
    private var status = 0
    private var keepAlive = true
    private var preferenceApplied = false
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.answer)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            preferenceApplied = head.headers.contains(name: "preference-applied")
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let answer = waiting.popFirst() else {
                context.close(promise: nil)
                return
            }
            // Closing first means the caller, once resumed, finds the connection inactive and opens a new one
            // instead of writing its next request to a connection the AFM is about to close.
            if !keepAlive { context.close(promise: nil) }
            answer.succeed(BenchResponse(status: status, body: body ?? ByteBuffer(), preferenceApplied: preferenceApplied))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failWaiting(BenchConnectionError.closedBeforeAnswer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failWaiting(error)
        context.close(promise: nil)
    }

    private func failWaiting(_ error: any Error) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}
