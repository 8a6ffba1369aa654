import JSON
/// Index of a compiled subschema in `SchemaProgram.nodes`. `$ref`s point at indexes, so cycles need no pointers.
typealias NodeID = Int

/// One compiled subschema: a boolean schema, or its keywords parsed once, in evaluation order.
struct SchemaNode: Sendable {
    var keywords: [Keyword] = []
    /// Set for the boolean schemas `true` and `false`.
    var constant: Bool?
    /// The schema resource (`$id` scope) the node belongs to; entering it extends the dynamic scope.
    var resource: Int
    /// The node has `unevaluatedProperties` or `unevaluatedItems`, so its subschemas must report what they evaluated.
    var collectsAnnotations = false
}

/// A schema resource, as `$dynamicRef` searches them.
struct SchemaResource: Sendable {
    let uri: String
    var dynamicAnchors: [String: NodeID] = [:]
}

/// Every node reachable from a root schema, with the resources they live in. Immutable once compiled.
struct SchemaProgram: Sendable {
    let nodes: [SchemaNode]
    let resources: [SchemaResource]
    let root: NodeID
    /// Some node collects annotations; when none does, validation never builds annotation sets.
    let usesAnnotations: Bool
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

/// One compiled keyword. Keywords that read each other are compiled together: `properties`, `patternProperties`
/// and `additionalProperties` into `members`; `prefixItems`, `items` (and draft-07 `additionalItems`) into `items`;
/// `contains` with its bounds; `if` with `then` and `else`.
enum Keyword: Sendable {
    case type(TypeSet)
    case enumeration([JSONValue])
    case constant(JSONValue)
    case multipleOf(JSONNumber)
    case minimum(JSONNumber)
    case maximum(JSONNumber)
    case exclusiveMinimum(JSONNumber, keyword: String)
    case exclusiveMaximum(JSONNumber, keyword: String)
    case minLength(Int)
    case maxLength(Int)
    case pattern(Pattern)
    case format(Format)
    case content(ContentRule)
    case minItems(Int)
    case maxItems(Int)
    case uniqueItems
    case items(Shared<ItemRules>)
    case contains(NodeID, minimum: Int, maximum: Int?)
    case required([String])
    case minProperties(Int)
    case maxProperties(Int)
    case dependentRequired([(name: String, required: [String])], keyword: String)
    case dependentSchemas([(name: String, schema: NodeID)], keyword: String)
    case members(Shared<ObjectMembers>)
    case propertyNames(NodeID)
    case ref(NodeID)
    /// `$dynamicRef`, or `$recursiveRef` (2019-09) with its anchor under `Dialect.recursiveAnchorName`.
    case dynamicRef(NodeID, anchor: String?, keyword: String)
    case allOf([NodeID])
    case anyOf([NodeID])
    case oneOf([NodeID])
    case not(NodeID)
    case conditional(if: NodeID, then: NodeID?, else: NodeID?)
    case unevaluatedItems(NodeID)
    case unevaluatedProperties(NodeID)
}

/// `prefixItems` + `items` (2020-12), or `items` as an array + `additionalItems` (draft-07).
struct ItemRules: Sendable {
    var prefix: [NodeID] = []
    var prefixKeyword = "prefixItems"
    var rest: NodeID?
    var restKeyword = "items"
}

struct ObjectMembers: Sendable {
    var properties: [String: NodeID] = [:]
    var patternProperties: [(pattern: Pattern, schema: NodeID)] = []
    var additionalProperties: NodeID?
}

/// An immutable value behind one reference, so that copying the keyword that holds it is a single retain.
final class Shared<Value: Sendable>: Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
