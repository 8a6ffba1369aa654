/// The compiled form of a schema: every keyword parsed once, ready to validate many instances.
indirect enum SchemaNode: Sendable {
    case always(Bool)
    case keywords([Keyword])
}

/// The JSON Schema types a `type` keyword can name.
struct TypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = TypeSet(rawValue: 1 << 0)
    static let boolean = TypeSet(rawValue: 1 << 1)
    static let integer = TypeSet(rawValue: 1 << 2)
    static let number = TypeSet(rawValue: 1 << 3)
    static let string = TypeSet(rawValue: 1 << 4)
    static let array = TypeSet(rawValue: 1 << 5)
    static let object = TypeSet(rawValue: 1 << 6)

    static let byName: [String: TypeSet] = [
        "null": .null, "boolean": .boolean, "integer": .integer, "number": .number,
        "string": .string, "array": .array, "object": .object,
    ]

    func admits(_ value: JSONValue) -> Bool {
        switch value {
        case .null: contains(.null)
        case .bool: contains(.boolean)
        case .number(let number): contains(.number) || (contains(.integer) && number.isInteger)
        case .string: contains(.string)
        case .array: contains(.array)
        case .object: contains(.object)
        }
    }

    var names: [String] {
        TypeSet.byName.filter { contains($0.value) }.map(\.key).sorted()
    }
}

/// One compiled keyword. Keywords that read each other (`properties`, `patternProperties`,
/// `additionalProperties`) are compiled together into `members`.
enum Keyword: Sendable {
    case type(TypeSet)
    case enumeration([JSONValue])
    case constant(JSONValue)
    case minimum(JSONNumber)
    case maximum(JSONNumber)
    case exclusiveMinimum(JSONNumber)
    case exclusiveMaximum(JSONNumber)
    case minLength(Int)
    case maxLength(Int)
    case pattern(Pattern)
    case minItems(Int)
    case maxItems(Int)
    case items(SchemaNode)
    case required([String])
    case minProperties(Int)
    case maxProperties(Int)
    case members(ObjectMembers)
    case allOf([SchemaNode])
    case anyOf([SchemaNode])
    case oneOf([SchemaNode])
    case not(SchemaNode)
}

struct ObjectMembers: Sendable {
    var properties: [String: SchemaNode] = [:]
    var patternProperties: [(Pattern, SchemaNode)] = []
    var additionalProperties: SchemaNode?
}
