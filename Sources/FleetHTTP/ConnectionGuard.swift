import NIOCore

/// How long a connection may stay in each of its states before `afm` closes it.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// A keep-alive connection with no request under way. Longer than the agents' return time, so that an agent's
    /// connection lasts from one poll to the next.
    public var idle: TimeAmount
    /// From the first byte of a request to the end of its head; then between two reads of its body; and how long
    /// an answer may wait for the client to take it (a client that stops reading).
    public var request: TimeAmount

    public init(idle: TimeAmount, request: TimeAmount) {
        self.idle = idle
        self.request = request
    }
}

/// The first handler of every connection: closes a connection that stays idle, sends a request too slowly
/// (slowloris) or stops taking its answers, and reads from the socket only while the answers drain.
///
/// Reading pauses while the channel is not writable (its unsent answers are past the high-water mark), so a client
/// that pipelines requests and never reads the answers holds at most about one mark of answers plus one read's
/// worth of requests, and is closed once it has taken nothing for `request`. `HTTP1RequestHandler` reports the
/// phases of each request it sees; everything here runs on the connection's event loop.
final class ConnectionGuard: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        /// Between requests: the idle timeout runs.
        case idle
        /// Bytes of a request arrived, its head is not complete yet.
        case head
        /// The head arrived, the body is being read.
        case body
        /// The whole request arrived; the route answers it in its own time.
        case answering
    }

    private let timeouts: ConnectionTimeouts
    /// Compares `deadline` with the clock now and then, for every connection of this event loop.
    private let sweep: ConnectionSweep
    private var phase = Phase.idle
    /// When the connection is closed unless its phase moves on first; nil while a request is being answered.
    private var deadline: NIODeadline?
    private var stallDeadline: Scheduled<Void>?
    private var heldRead = false
    private var context: ChannelHandlerContext?

    init(timeouts: ConnectionTimeouts, sweep: ConnectionSweep) {
        self.timeouts = timeouts
        self.sweep = sweep
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        sweep.add(self)
        if context.channel.isActive { arm(timeouts.idle) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(timeouts.idle)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .idle:
            phase = .head
            arm(timeouts.request)
        case .body:
            arm(timeouts.request)
        case .head, .answering:
            // A head must be complete within its bound however it trickles in; bytes during an answer are the
            // next pipelined request, which the HTTP pipeline holds until the answer is written.
            break
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            heldRead = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallDeadline?.cancel()
            stallDeadline = nil
            if heldRead {
                heldRead = false
                context.read()
            }
        } else if stallDeadline == nil {
            let channel = context.channel
            stallDeadline = context.eventLoop.scheduleTask(in: timeouts.request) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Phases reported by HTTP1RequestHandler

    func headReceived() {
        phase = .body
        arm(timeouts.request)
    }

    func requestReceived() {
        phase = .answering
        deadline = nil
    }

    func answerWritten() {
        phase = .idle
        arm(timeouts.idle)
    }

    private func arm(_ timeout: TimeAmount) {
        deadline = .now() + timeout
    }

    // MARK: Asked by the sweep

    func isPastDeadline(_ now: NIODeadline) -> Bool {
        deadline.map { $0 <= now } ?? false
    }

    func deadlinePassed() {
        context?.channel.close(promise: nil)
    }

    private func disarm() {
        sweep.remove(self)
        deadline = nil
        stallDeadline?.cancel()
        stallDeadline = nil
    }
}
