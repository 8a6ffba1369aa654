import FleetStore
import JSON
import NIOCore
import PostgresNIO

/// `timestamptz` travels as microseconds since 2000-01-01 UTC: mapping it straight to `Timestamp` keeps every
/// microsecond, where going through `Date` (a `Double`) can lose one.
extension Timestamp: PostgresNonThrowingEncodable, PostgresDecodable {
    private static let postgresEpochOffset: Int64 = 946_684_800_000_000

    public static var psqlType: PostgresDataType { .timestamptz }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(microsecondsSinceEpoch - Self.postgresEpochOffset)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary, buffer.readableBytes == 8,
            let microseconds = buffer.readInteger(as: Int64.self)
        else { throw PostgresDecodingError.Code.typeMismatch }
        self.init(microsecondsSinceEpoch: microseconds + Self.postgresEpochOffset)
    }
}

extension Timestamp: PostgresArrayEncodable {
    public static var psqlArrayType: PostgresDataType { .timestamptzArray }
}
