import NIOCore
import NIOPosix

/// One DNS query and its response over UDP, or over TCP (two-byte length prefix) when the UDP answer was
/// truncated, before a deadline.
enum DNSExchange {
    static let maximumResponse = 65_535

    static func ask(_ query: [UInt8], id: UInt16, server: SocketAddress, deadline: ContinuousClock.Instant) async throws(CheckFailure) -> DNSMessage {
        let answer = try await overUDP(query, id: id, server: server, deadline: deadline)
        guard answer.truncated else { return answer }
        return try await overTCP(query, id: id, server: server, deadline: deadline)
    }

    private static func overUDP(_ query: [UInt8], id: UInt16, server: SocketAddress, deadline: ContinuousClock.Instant) async throws(CheckFailure) -> DNSMessage {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let done = loop.makePromise(of: DNSMessage.self)
        defer { done.fail(CheckFailure("the query ended")) }
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DatagramAnswerHandler(id: id, server: server, done: done))
                    }
                }
                .bind(host: server.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
        } catch {
            throw CheckFailure("cannot open a UDP socket: \(error)")
        }
        defer { channel.close(promise: nil) }
        let alarm = loop.scheduleTask(deadline: .at(deadline)) {
            done.fail(CheckFailure("no answer from \(CheckConnection.describe(server)) over UDP in time"))
        }
        defer { alarm.cancel() }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: query)), promise: nil)
        do {
            return try await done.futureResult.get()
        } catch {
            throw (error as? CheckFailure) ?? CheckFailure("\(error)")
        }
    }

    private static func overTCP(_ query: [UInt8], id: UInt16, server: SocketAddress, deadline: ContinuousClock.Instant) async throws(CheckFailure) -> DNSMessage {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let done = loop.makePromise(of: DNSMessage.self)
        defer { done.fail(CheckFailure("the query ended")) }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.nanoseconds(Int64(Seconds.of(ContinuousClock.now.duration(to: deadline)) * 1e9)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StreamAnswerHandler(id: id, done: done))
                    }
                }
                .connect(to: server).get()
        } catch {
            throw CheckFailure("the UDP answer was truncated and TCP to \(CheckConnection.describe(server)) failed: \(error)")
        }
        defer { channel.close(promise: nil) }
        let alarm = loop.scheduleTask(deadline: .at(deadline)) {
            done.fail(CheckFailure("no answer from \(CheckConnection.describe(server)) over TCP in time"))
        }
        defer { alarm.cancel() }
        var framed = ByteBuffer()
        framed.writeInteger(UInt16(query.count))
        framed.writeBytes(query)
        channel.writeAndFlush(framed, promise: nil)
        do {
            return try await done.futureResult.get()
        } catch {
            throw (error as? CheckFailure) ?? CheckFailure("\(error)")
        }
    }
}

/// Takes the first datagram from the server that answers this query's id; others are ignored (a late answer to
/// someone else, or a spoof from another address).
final class DatagramAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let id: UInt16
    private let server: SocketAddress
    private let done: EventLoopPromise<DNSMessage>

    init(id: UInt16, server: SocketAddress, done: EventLoopPromise<DNSMessage>) {
        self.id = id
        self.server = server
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress.ipAddress == server.ipAddress, envelope.remoteAddress.port == server.port else { return }
        guard let message = DNSMessage(parsing: Array(envelope.data.readableBytesView)), message.id == id else { return }
        done.succeed(message)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable comes back as ECONNREFUSED on the socket.
        done.fail(CheckFailure("no DNS server at \(CheckConnection.describe(server)): \(error)"))
    }
}

/// Gathers a length-prefixed response.
final class StreamAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let id: UInt16
    private let done: EventLoopPromise<DNSMessage>
    private var received = ByteBuffer()

    init(id: UInt16, done: EventLoopPromise<DNSMessage>) {
        self.id = id
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received.writeBuffer(&buffer)
        guard let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length)
        else { return }
        let body = received.getBytes(at: received.readerIndex + 2, length: Int(length)) ?? []
        if let message = DNSMessage(parsing: body), message.id == id {
            done.succeed(message)
        } else {
            done.fail(CheckFailure("the server's TCP answer is not a DNS response to the query"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(CheckFailure("the server closed the TCP connection without an answer"))
    }
}
