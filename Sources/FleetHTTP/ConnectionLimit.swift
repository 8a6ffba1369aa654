import NIOCore
import Synchronization

/// Counts the open HTTP connections against `MAX_CONNECTIONS`. A connection past the limit is answered
/// `503 Service Unavailable` with `Retry-After` and closed at once, so its client learns why instead of waiting in
/// the listen backlog; the connections already open are not disturbed.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)
    /// Refused connections still waiting for their client to close. Each holds a descriptor, so past
    /// `maximumLingering` a refusal closes at once, answer or not: a flood of connections must not run the process
    /// out of descriptors through its refusals.
    private let lingering = Atomic<Int>(0)
    static let maximumLingering = 64

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Counts `channel` until it closes; false (and not counted) when the limit is reached.
    func admit(_ channel: any Channel) -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard count <= maximum else {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        channel.closeFuture.whenComplete { _ in self.open.wrappingSubtract(1, ordering: .relaxed) }
        return true
    }

    /// The handler for a connection past the limit.
    func refusal() -> Refusal {
        let count = lingering.wrappingAdd(1, ordering: .relaxed).newValue
        return Refusal(lingering: count <= Self.maximumLingering) {
            self.lingering.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    /// Writes the fixed 503 answer as soon as the connection is up and ends the output. The request is read and
    /// dropped until the client closes (at most `linger`): closing with unread bytes would reset the connection and
    /// could destroy the answer before the client reads it.
    final class Refusal: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private static let answer: String = {
            let body = #"{"error": "too many connections; try again later"}"#
            return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
                + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }()
        private static let linger = TimeAmount.seconds(2)
        private let lingers: Bool
        private let closed: @Sendable () -> Void

        init(lingering: Bool, closed: @escaping @Sendable () -> Void) {
            self.lingers = lingering
            self.closed = closed
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let channel = context.channel
            channel.closeFuture.whenComplete { [closed] _ in closed() }
            guard lingers else {
                channel.close(promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: Self.answer))).whenComplete { _ in
                channel.close(mode: .output, promise: nil)
            }
            context.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // Dropped: only the client's close is awaited.
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
        }
    }
}
