import NIOCore

/// Cuts whole Thrift messages out of an unframed byte stream (the buffered transport the data bridge uses).
/// A partial message waits for more bytes; once a length says how many are needed, nothing is re-parsed before
/// they are there. Malformed or oversized input fails the channel, which closes it.
public struct ThriftMessageDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ThriftMessage

    private let limits: ThriftLimits
    /// Where the message under way ends, found as its bytes arrive: each byte is looked at once until the message
    /// is complete, then the whole message is parsed once.
    private var scanner: ThriftMessageScanner

    public init(limits: ThriftLimits = ThriftLimits()) {
        self.limits = limits
        self.scanner = ThriftMessageScanner(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let length = try buffer.withUnsafeReadableBytes { bytes throws(ThriftDecodingError) in try scanner.messageLength(in: bytes) }
        guard let length else { return .needMoreData }
        var reader = ThriftBinaryReader(Array(buffer.readableBytesView.prefix(length)), limits: limits)
        let message = try reader.readMessage()
        guard reader.offset == length else {
            throw ThriftDecodingError.malformed("the message ended after \(reader.offset) of its \(length) bytes")
        }
        buffer.moveReaderIndex(forwardBy: length)
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
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
