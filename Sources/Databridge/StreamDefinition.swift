import JSON

/// A WSO2 stream definition, as `defineStream` carries it in JSON: name, version, and typed attributes in three
/// groups. Its id is `name:version`.
public struct StreamDefinition: Sendable, Equatable {
    public enum AttributeType: String, Sendable {
        case int = "INT", long = "LONG", float = "FLOAT", double = "DOUBLE", bool = "BOOL", string = "STRING"
    }

    public struct Attribute: Sendable, Equatable {
        public var name: String
        public var type: AttributeType
    }

    public var name: String
    public var version: String
    public var metaData: [Attribute]
    public var correlationData: [Attribute]
    public var payloadData: [Attribute]

    public var id: String { "\(name):\(version)" }

    /// Parses the JSON text; anything that is not a definition throws `malformedStreamDefinition` with the reason.
    public init(json: String) throws(DatabridgeFault) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(json)
        } catch {
            throw .malformedStreamDefinition("the stream definition is not JSON: \(error)")
        }
        guard case .object(let members) = document else { throw .malformedStreamDefinition("the stream definition is not a JSON object") }
        guard case .string(let name)? = members["name"], !name.isEmpty else {
            throw .malformedStreamDefinition("the stream definition has no name")
        }
        self.name = name
        if case .string(let version)? = members["version"], !version.isEmpty { self.version = version } else { version = "1.0.0" }
        func attributes(_ key: String) throws(DatabridgeFault) -> [Attribute] {
            guard let group = members[key], group != .null else { return [] }
            guard case .array(let entries) = group else { throw .malformedStreamDefinition("\(key) is not an array") }
            var result: [Attribute] = []
            for entry in entries {
                guard case .object(let fields) = entry, case .string(let name)? = fields["name"],
                    case .string(let typeName)? = fields["type"]
                else { throw .malformedStreamDefinition("\(key) holds an attribute without a name and a type") }
                guard let type = AttributeType(rawValue: typeName.uppercased()) else {
                    throw .malformedStreamDefinition("\(key).\(name) has the unknown type '\(typeName)'")
                }
                result.append(Attribute(name: name, type: type))
            }
            return result
        }
        metaData = try attributes("metaData")
        correlationData = try attributes("correlationData")
        payloadData = try attributes("payloadData")
    }
}

/// One event read back out of a bundle, with its attributes named by its stream definition.
public struct DecodedEvent: Sendable, Equatable {
    public var streamID: String
    public var timestamp: Int64
    public var metaData: [(String, JSONValue)]
    public var correlationData: [(String, JSONValue)]
    public var payloadData: [(String, JSONValue)]
    public var arbitraryData: [String: String]

    public static func == (lhs: DecodedEvent, rhs: DecodedEvent) -> Bool {
        func same(_ a: [(String, JSONValue)], _ b: [(String, JSONValue)]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }
        return lhs.streamID == rhs.streamID && lhs.timestamp == rhs.timestamp && same(lhs.metaData, rhs.metaData)
            && same(lhs.correlationData, rhs.correlationData) && same(lhs.payloadData, rhs.payloadData)
            && lhs.arbitraryData == rhs.arbitraryData
    }
}

extension EventBundle {
    /// Splits the bundle into its events: per event the stream id, the timestamp, then meta, correlation and
    /// payload attributes in definition order, each from its type's list (FLOAT travels in the double list).
    /// A stream nobody defined throws `undefinedEventType`; lists too short for the events throw the same, naming
    /// what ran out.
    public func decodeEvents(definitions: (String) -> StreamDefinition?) throws(DatabridgeFault) -> [DecodedEvent] {
        var cursor = BundleCursor(bundle: self)
        var events: [DecodedEvent] = []
        for index in 0..<Int(max(eventCount ?? 0, 0)) {
            let streamID = try cursor.nextString(for: "stream id of event \(index)")
            guard let definition = definitions(streamID) else { throw .undefinedEventType("no stream definition for \(streamID)") }
            let timestamp = try cursor.nextLong(for: "timestamp of event \(index)")
            func values(_ attributes: [StreamDefinition.Attribute]) throws(DatabridgeFault) -> [(String, JSONValue)] {
                var result: [(String, JSONValue)] = []
                for attribute in attributes { result.append((attribute.name, try cursor.next(attribute))) }
                return result
            }
            events.append(DecodedEvent(
                streamID: streamID, timestamp: timestamp, metaData: try values(definition.metaData),
                correlationData: try values(definition.correlationData), payloadData: try values(definition.payloadData),
                arbitraryData: arbitraryData?[Int32(index)] ?? [:]))
        }
        return events
    }
}

/// Read positions in each of a bundle's lists.
private struct BundleCursor {
    let bundle: EventBundle
    var ints = 0, longs = 0, doubles = 0, bools = 0, strings = 0

    mutating func nextString(for what: String) throws(DatabridgeFault) -> String {
        guard let list = bundle.strings, strings < list.count else { throw .undefinedEventType("the string list ran out at the \(what)") }
        defer { strings += 1 }
        return list[strings]
    }

    mutating func nextLong(for what: String) throws(DatabridgeFault) -> Int64 {
        guard let list = bundle.longs, longs < list.count else { throw .undefinedEventType("the long list ran out at the \(what)") }
        defer { longs += 1 }
        return list[longs]
    }

    mutating func next(_ attribute: StreamDefinition.Attribute) throws(DatabridgeFault) -> JSONValue {
        let what = "attribute \(attribute.name)"
        switch attribute.type {
        case .string: return .string(try nextString(for: what))
        case .long: return .number(.integer(try nextLong(for: what)))
        case .int:
            guard let list = bundle.ints, ints < list.count else { throw .undefinedEventType("the int list ran out at the \(what)") }
            defer { ints += 1 }
            return .number(.integer(Int64(list[ints])))
        case .double, .float:
            guard let list = bundle.doubles, doubles < list.count else { throw .undefinedEventType("the double list ran out at the \(what)") }
            defer { doubles += 1 }
            return .number(.double(list[doubles]))
        case .bool:
            guard let list = bundle.bools, bools < list.count else { throw .undefinedEventType("the bool list ran out at the \(what)") }
            defer { bools += 1 }
            return .bool(list[bools])
        }
    }
}
