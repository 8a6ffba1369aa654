@testable import Databridge
import Testing

@Suite("Thrift binary protocol")
struct ThriftCodecTests {
    /// A struct holding every wire type, nested containers and edge values.
    static let everyType = ThriftStruct([
        ThriftField(id: 1, value: .bool(true)),
        ThriftField(id: 2, value: .bool(false)),
        ThriftField(id: 3, value: .byte(-128)),
        ThriftField(id: 4, value: .i16(-32768)),
        ThriftField(id: 5, value: .i32(Int32.max)),
        ThriftField(id: 6, value: .i64(Int64.min)),
        ThriftField(id: 7, value: .double(-0.1)),
        ThriftField(id: 8, value: .double(.infinity)),
        ThriftField(id: 9, value: .string("grüße, 世界 🚀")),
        ThriftField(id: 10, value: .binary([0, 255, 128, 10])),
        ThriftField(id: 11, value: .structure(ThriftStruct([ThriftField(id: -1, value: .string("negative id"))]))),
        ThriftField(id: 12, value: .map(key: .i32, value: .map, entries: [
            ThriftMapEntry(key: .i32(0), value: .map(key: .string, value: .string, entries: [ThriftMapEntry(key: .string("k"), value: .string("v"))])),
            ThriftMapEntry(key: .i32(7), value: .map(key: .string, value: .string, entries: [])),
        ])),
        ThriftField(id: 13, value: .set(.i64, [.i64(1), .i64(2)])),
        ThriftField(id: 14, value: .list(.list, [.list(.bool, [.bool(true)]), .list(.double, [])])),
        ThriftField(id: 15, value: .list(.structure, [.structure(ThriftStruct()), .structure(ThriftStruct([ThriftField(id: 1, value: .byte(1))]))])),
        ThriftField(id: 32767, value: .list(.string, [])),
    ])

    @Test("every type survives a write and a read, inside a message")
    func roundTrip() throws {
        let message = ThriftMessage(name: "everything", kind: .call, sequenceID: 42, body: Self.everyType)
        var reader = ThriftBinaryReader(message.encoded)
        #expect(try reader.readMessage() == message)
        #expect(reader.offset == message.encoded.count)
    }

    @Test("each message kind and sequence id round-trips")
    func messageKinds() throws {
        for kind in [ThriftMessage.Kind.call, .reply, .exception, .oneway] {
            let message = ThriftMessage(name: "m", kind: kind, sequenceID: -7, body: ThriftStruct())
            var reader = ThriftBinaryReader(message.encoded)
            #expect(try reader.readMessage() == message)
        }
    }

    @Test("a call is written strictly: version word, name, sequence id, big-endian fields, stop")
    func exactBytes() {
        let bytes = DatabridgeCall.connect(userName: "a", password: "b").message.encoded
        #expect(bytes == [
            0x80, 0x01, 0x00, 0x01, 0, 0, 0, 7, 0x63, 0x6f, 0x6e, 0x6e, 0x65, 0x63, 0x74, 0, 0, 0, 0,
            0x0b, 0x00, 0x01, 0, 0, 0, 1, 0x61,
            0x0b, 0x00, 0x02, 0, 0, 0, 1, 0x62,
            0x00,
        ])
        var writer = ThriftBinaryWriter()
        writer.write(.double(1.0))
        #expect(writer.bytes == [0x3f, 0xf0, 0, 0, 0, 0, 0, 0])
    }

    @Test("the old header without a version word is read too")
    func nonStrictHeader() throws {
        // name length, name, type byte, sequence id, empty struct.
        var reader = ThriftBinaryReader([0, 0, 0, 4] + Array("ping".utf8) + [1, 0, 0, 0, 9, 0])
        #expect(try reader.readMessage() == ThriftMessage(name: "ping", kind: .call, sequenceID: 9, body: ThriftStruct()))
    }

    @Test("every proper prefix of a message asks for more bytes, never more than the message has")
    func truncation() {
        let bytes = ThriftMessage(name: "everything", kind: .call, sequenceID: 1, body: Self.everyType).encoded
        for length in 0..<bytes.count {
            var reader = ThriftBinaryReader(Array(bytes[0..<length]))
            do {
                _ = try reader.readMessage()
                Issue.record("a \(length)-byte prefix decoded")
            } catch .needMoreBytes(let total) {
                #expect(total > length && total <= bytes.count)
            } catch {
                Issue.record("a \(length)-byte prefix: \(error)")
            }
        }
    }

    @Test("garbage, bad versions, unknown types, negative and huge lengths, and deep nesting are malformed")
    func malformed() {
        let cases: [(String, [UInt8])] = [
            ("HTTP request", Array("GET / HTTP/1.1\r\n\r\n".utf8) + [UInt8](repeating: 0, count: 64)),
            ("version 2", [0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]),
            ("message type 9", [0x80, 0x01, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("field type 5", [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 1]),
            ("negative string length", [0x80, 0x01, 0x00, 0x01, 0xff, 0xff, 0xff, 0xfe]),
            ("2 GB string", [0x80, 0x01, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff]),
            ("2 G-element list", [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 1, 8, 0x7f, 0xff, 0xff, 0xff]),
            ("negative list size", [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 1, 8, 0xff, 0xff, 0xff, 0xff]),
            ("stop as element type", [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 1, 0, 0, 0, 0, 1]),
            ("100 nested structs", [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: [12, 0, 1], count: 100).flatMap { $0 }),
        ]
        for (name, bytes) in cases {
            var reader = ThriftBinaryReader(bytes, limits: ThriftLimits(maximumMessageBytes: 1 << 20, maximumDepth: 64))
            do {
                _ = try reader.readMessage()
                Issue.record("\(name) decoded")
            } catch {
                guard case .malformed = error else {
                    Issue.record("\(name) is not refused: \(error)")
                    continue
                }
            }
        }
    }
}
