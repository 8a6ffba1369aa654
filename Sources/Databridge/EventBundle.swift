/// `ThriftEventBundle`: events flattened into one list per attribute type. Each event contributes its stream id
/// (strings) and timestamp (longs), then its attributes in definition order, each to its type's list.
/// Every field is optional on the wire; nil is not written.
public struct EventBundle: Sendable, Equatable {
    public var sessionID: String?
    public var eventCount: Int32?
    public var ints: [Int32]?
    public var longs: [Int64]?
    public var doubles: [Double]?
    public var bools: [Bool]?
    public var strings: [String]?
    /// Per event index, its arbitrary key/value data.
    public var arbitraryData: [Int32: [String: String]]?

    public init(
        sessionID: String? = nil, eventCount: Int32? = nil, ints: [Int32]? = nil, longs: [Int64]? = nil, doubles: [Double]? = nil,
        bools: [Bool]? = nil, strings: [String]? = nil, arbitraryData: [Int32: [String: String]]? = nil
    ) {
        self.sessionID = sessionID
        self.eventCount = eventCount
        self.ints = ints
        self.longs = longs
        self.doubles = doubles
        self.bools = bools
        self.strings = strings
        self.arbitraryData = arbitraryData
    }

    public var thrift: ThriftStruct {
        var result = ThriftStruct()
        result.append(1, sessionID.map(ThriftValue.string))
        result.append(2, eventCount.map(ThriftValue.i32))
        result.append(3, ints.map { .list(.i32, $0.map(ThriftValue.i32)) })
        result.append(4, longs.map { .list(.i64, $0.map(ThriftValue.i64)) })
        result.append(5, doubles.map { .list(.double, $0.map(ThriftValue.double)) })
        result.append(6, bools.map { .list(.bool, $0.map(ThriftValue.bool)) })
        result.append(7, strings.map { .list(.string, $0.map(ThriftValue.string)) })
        result.append(8, arbitraryData.map { data in
            .map(key: .i32, value: .map, entries: data.keys.sorted().map { index in
                let pairs = data[index]!.sorted { $0.key < $1.key }
                    .map { ThriftMapEntry(key: .string($0.key), value: .string($0.value)) }
                return ThriftMapEntry(key: .i32(index), value: .map(key: .string, value: .string, entries: pairs))
            })
        })
        return result
    }

    /// Reads the fields it knows; a field of an unexpected type is ignored, as Thrift does.
    public init(_ value: ThriftStruct) {
        sessionID = value[1]?.string
        if case .i32(let count) = value[2] { eventCount = count }
        ints = value[3]?.elements(of: .i32)?.compactMap { if case .i32(let number) = $0 { number } else { nil } }
        longs = value[4]?.elements(of: .i64)?.compactMap { if case .i64(let number) = $0 { number } else { nil } }
        doubles = value[5]?.elements(of: .double)?.compactMap { if case .double(let number) = $0 { number } else { nil } }
        bools = value[6]?.elements(of: .bool)?.compactMap { if case .bool(let flag) = $0 { flag } else { nil } }
        strings = value[7]?.elements(of: .string)?.map { $0.string ?? "" }
        if case .map(.i32, .map, let entries) = value[8] {
            var data: [Int32: [String: String]] = [:]
            for entry in entries {
                guard case .i32(let index) = entry.key, case .map(.string, .string, let pairs) = entry.value else { continue }
                var event: [String: String] = [:]
                for pair in pairs {
                    if let key = pair.key.string, let text = pair.value.string { event[key] = text }
                }
                data[index] = event
            }
            arbitraryData = data
        }
    }
}
