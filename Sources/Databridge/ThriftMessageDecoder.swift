import NIOCore

/// Cuts whole Thrift messages out of an unframed byte stream (the buffered transport the data bridge uses).
/// A partial message waits for more bytes; once a length says how many are needed, nothing is re-parsed before
/// they are there. Malformed or oversized input fails the channel, which closes it.
public struct ThriftMessageDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ThriftMessage

    private let limits: ThriftLimits
    private var bytesNeeded = 1

    public init(limits: ThriftLimits = ThriftLimits()) {
        self.limits = limits
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= bytesNeeded else { return .needMoreData }
        var reader = ThriftBinaryReader(Array(buffer.readableBytesView), limits: limits)
        do {
            let message = try reader.readMessage()
            buffer.moveReaderIndex(forwardBy: reader.offset)
            bytesNeeded = 1
            context.fireChannelRead(wrapInboundOut(message))
            return .continue
        } catch .needMoreBytes(let total) {
            bytesNeeded = total
            return .needMoreData
        } catch {
            throw error
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            throw ThriftDecodingError.malformed("the connection closed inside a message (\(buffer.readableBytes) bytes)")
        }
        return .needMoreData
    }
}

/// Writes messages onto the channel as bytes.
public final class ThriftMessageEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ThriftMessage

    public init() {}

    public func encode(data: ThriftMessage, out: inout ByteBuffer) throws {
        out.writeBytes(data.encoded)
    }
}
