import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// The server's HTTP/1.1 connections, served from NIO events rather than from a task per connection.
///
/// A task that serves a connection keeps the stack memory of the deepest call it ever made for as long as the
/// connection is open: about 22 KB per connection with Hummingbird's own HTTP/1.1 channel (heaptrack), 220 MB for a
/// fleet of 10,000 agents that each keep a connection open between polls a minute apart. Here the pipeline does the
/// reading and writing, `HTTP1RequestHandler` starts a task per request that ends with its answer, and an idle
/// connection holds only its channel, its handlers and a small receive buffer; `ConnectionSweep` times them out. `ConnectionGuard` times
/// every connection out and paces its reads; `ConnectionLimit` turns away connections past the limit.
struct HTTP1EventChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    let maximumBodySize: Int
    let timeouts: ConnectionTimeouts
    let limit: ConnectionLimit
    let answer: HTTP1RequestHandler.Serve
    let sweeps: ConnectionSweeps

    init(maximumBodySize: Int, timeouts: ConnectionTimeouts, limit: ConnectionLimit, answer: @escaping HTTP1RequestHandler.Serve) {
        self.maximumBodySize = maximumBodySize
        self.timeouts = timeouts
        self.limit = limit
        self.answer = answer
        sweeps = ConnectionSweeps(timeouts: timeouts)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            guard limit.admit(channel) else {
                try channel.pipeline.syncOperations.addHandler(limit.refusal())
                return Value(channel: channel)
            }
            // Requests from agents are a few hundred bytes; the buffer grows for larger ones and the channel keeps
            // it between reads, so it starts small rather than at NIO's 2 KB.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            let connectionGuard = ConnectionGuard(timeouts: timeouts, sweep: sweeps.sweep(on: channel.eventLoop))
            try channel.pipeline.syncOperations.addHandler(connectionGuard)
            // Every response head is made from HTTPTypes fields, whose names are checked and whose values are
            // made legal when they are set, so NIO's second check of each outgoing head would find nothing.
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: true, withErrorHandling: true, withOutboundHeaderValidation: false)
            try channel.pipeline.syncOperations.addHandler(
                HTTP1RequestHandler(
                    eventLoop: channel.eventLoop, maximumBodySize: maximumBodySize, logger: logger,
                    connectionGuard: connectionGuard, answer: answer))
            return Value(channel: channel)
        }
    }

    /// Nothing to wait for: the pipeline serves the connection and closes it, also when the server quiesces.
    func handle(value: Value, logger: Logger) async {}
}
