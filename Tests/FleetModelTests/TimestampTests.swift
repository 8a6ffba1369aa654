import JSON
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test("protocol-1 text is Python's str(datetime): microseconds only when non-zero")
    func protocolOneText() {
        #expect(Timestamp(microsecondsSinceEpoch: 1_427_803_932_123_456).protocolOneText == "2015-03-31 12:12:12.123456")
        #expect(Timestamp(microsecondsSinceEpoch: 1_427_803_932_000_000).protocolOneText == "2015-03-31 12:12:12")
        #expect(Timestamp(microsecondsSinceEpoch: 1_427_803_932_000_001).protocolOneText == "2015-03-31 12:12:12.000001")
    }

    @Test("ISO 8601 text carries microseconds and an explicit UTC offset")
    func iso8601Text() {
        #expect(Timestamp(microsecondsSinceEpoch: 0).iso8601Text == "1970-01-01T00:00:00.000000+00:00")
        #expect(Timestamp(microsecondsSinceEpoch: 951_827_696_500_000).iso8601Text == "2000-02-29T12:34:56.500000+00:00")
        #expect(Timestamp(microsecondsSinceEpoch: -1).iso8601Text == "1969-12-31T23:59:59.999999+00:00")
    }

    @Test("calendar fields are right across leap years and centuries", arguments: [
        (Int64(946_684_800), "2000-01-01 00:00:00"), (Int64(4_107_542_399), "2100-02-28 23:59:59"),
        (Int64(4_107_542_400), "2100-03-01 00:00:00"), (Int64(1_709_164_800), "2024-02-29 00:00:00"),
    ])
    func calendar(seconds: Int64, text: String) {
        #expect(Timestamp(microsecondsSinceEpoch: seconds * 1_000_000).protocolOneText == text)
    }
}
