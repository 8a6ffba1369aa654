import JSON
/// Turns a schema document (and the registry documents it references) into a `SchemaProgram`, refusing anything
/// malformed with the location of the problem.
///
/// Subschemas are compiled from a work list, not by recursion, and `$ref`s become node indexes, so neither deep
/// nesting nor reference cycles can exhaust the stack.
struct SchemaCompiler {
    private let registry: SchemaRegistry
    private let assertsFormats: Bool
    private var index = SchemaIndex()
    private var nodes: [SchemaNode] = []
    private var nodeIDs: [SchemaLocation: NodeID] = [:]
    private var pending: [(NodeID, SchemaLocation)] = []
    private var dynamicAnchorNames: Set<String> = []

    /// The base URI of a root schema that has no `$id`.
    static let defaultBaseURI = "urn:agentfleet:schema"

    init(registry: SchemaRegistry, assertsFormats: Bool) {
        self.registry = registry
        self.assertsFormats = assertsFormats
    }

    mutating func compile(_ document: JSONValue, dialect: Dialect) throws(SchemaError) -> SchemaProgram {
        let rules = SchemaRules.standard(dialect, legacy: dialect == .draft2020_12)
        let rootLocation = try index.load(document, retrievalURI: URIReference(Self.defaultBaseURI), inheritedRules: rules, registry: registry)
        let root = try nodeID(rootLocation)
        try drain()
        // `$dynamicRef` may land on any resource's dynamic anchor of the same name, so those must be compiled too.
        var compiledAnchors = 0
        repeat {
            compiledAnchors = 0
            for resource in index.resources {
                for (name, location) in resource.dynamicAnchors where dynamicAnchorNames.contains(name) && nodeIDs[location] == nil {
                    _ = try nodeID(location)
                    compiledAnchors += 1
                }
            }
            try drain()
        } while compiledAnchors > 0
        try rejectReferenceCycles()
        let resources = index.resources.map { resource in
            SchemaResource(uri: resource.uri, dynamicAnchors: resource.dynamicAnchors.compactMapValues { nodeIDs[$0] })
        }
        return SchemaProgram(nodes: nodes, resources: resources, root: root, usesAnnotations: nodes.contains(where: \.collectsAnnotations))
    }

    private mutating func drain() throws(SchemaError) {
        while let (id, location) = pending.popLast() {
            try compileNode(id, at: location)
        }
    }

    /// The node for a location, allocated now and compiled later from the work list.
    private mutating func nodeID(_ location: SchemaLocation) throws(SchemaError) -> NodeID {
        if let id = nodeIDs[location] { return id }
        if index.scopes[location] == nil {
            guard let value = index.value(at: location) else {
                throw SchemaError(keywordLocation: describe(location), reason: "no schema at this location")
            }
            try index.indexDetached(value, at: location, registry: registry)
        }
        let id = nodes.count
        nodes.append(SchemaNode(resource: index.scopes[location]!.resource))
        nodeIDs[location] = id
        pending.append((id, location))
        return id
    }

    private func describe(_ location: SchemaLocation) -> String {
        location.document == 0 ? index.pointer(location) : index.documentURIs[location.document] + "#" + index.pointer(location)
    }

    // MARK: References

    private mutating func resolve(_ reference: String, from scope: SchemaScope, keyword: SchemaLocation) throws(SchemaError) -> SchemaLocation {
        let target = URIReference(reference).resolved(against: scope.base)
        let resourceURI = target.withoutFragment.description
        var root = index.resourceRoots[resourceURI]
        if root == nil, let document = registry.document(at: resourceURI) {
            root = try index.load(document, retrievalURI: target.withoutFragment, inheritedRules: scope.rules, registry: registry)
        }
        guard let root else {
            throw SchemaError(keywordLocation: describe(keyword), reason: "cannot resolve \(reference): no schema has the URI \(resourceURI)")
        }
        let fragment = target.fragment ?? ""
        if fragment.isEmpty { return root }
        if fragment.hasPrefix("/") {
            guard let pointer = percentDecoded(fragment) else {
                throw SchemaError(keywordLocation: describe(keyword), reason: "invalid percent-encoding in \(reference)")
            }
            let location = index.location(pointer, from: root)
            guard index.scopes[location] != nil || index.value(at: location) != nil else {
                throw SchemaError(keywordLocation: describe(keyword), reason: "cannot resolve \(reference): nothing at \(pointer)")
            }
            return location
        }
        guard let anchor = index.anchors[resourceURI + "#" + fragment] else {
            throw SchemaError(keywordLocation: describe(keyword), reason: "cannot resolve \(reference): no anchor \(fragment)")
        }
        return anchor
    }

    /// A `$ref` chain (through `$ref` and `allOf`) that leads back to where it started would evaluate forever.
    private func rejectReferenceCycles() throws(SchemaError) {
        var state = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 on the path, 2 done
        for start in nodes.indices where state[start] == 0 {
            var stack: [(node: NodeID, next: Int)] = [(start, 0)]
            state[start] = 1
            while let (node, position) = stack.last {
                let successors = unconditionalSuccessors(of: node)
                if position < successors.count {
                    stack[stack.count - 1].next += 1
                    let successor = successors[position]
                    if state[successor] == 1 {
                        let location = nodeIDs.first { $0.value == successor }.map { describe($0.key) } ?? ""
                        throw SchemaError(keywordLocation: location, reason: "$ref cycle: this schema refers back to itself without descending into the instance")
                    }
                    if state[successor] == 0 {
                        state[successor] = 1
                        stack.append((successor, 0))
                    }
                } else {
                    state[node] = 2
                    stack.removeLast()
                }
            }
        }
    }

    private func unconditionalSuccessors(of node: NodeID) -> [NodeID] {
        nodes[node].keywords.flatMap { keyword -> [NodeID] in
            switch keyword {
            case .ref(let target): [target]
            case .allOf(let branches): branches
            default: []
            }
        }
    }

    // MARK: Keywords

    private mutating func compileNode(_ id: NodeID, at location: SchemaLocation) throws(SchemaError) {
        let scope = index.scopes[location]!
        switch scope.value {
        case .bool(let value):
            nodes[id].constant = value
        case .object(let members):
            var builder = KeywordBuilder(location: location, scope: scope, members: members)
            do {
                try compileKeywords(&builder)
            } catch where error.isRelative {
                throw SchemaError(keywordLocation: describe(location) + error.keywordLocation, reason: error.reason)
            }
            nodes[id].keywords = builder.keywords
            nodes[id].collectsAnnotations = builder.collectsAnnotations
        default:
            throw SchemaError(keywordLocation: describe(location), reason: "a schema must be an object or a boolean, not \(scope.value.typeName)")
        }
    }

    private mutating func compileKeywords(_ builder: inout KeywordBuilder) throws(SchemaError) {
        let rules = builder.scope.rules
        let members = builder.members
        for keyword in ["$anchor", "$dynamicAnchor"] where rules.dialect.hasAnchorKeyword && members[keyword] != nil {
            guard case .string(let name)? = members[keyword], Self.isAnchorName(name) else {
                throw builder.fail(keyword, "must be a name: a letter or '_', then letters, digits, '-', '_' or '.'")
            }
        }
        if let reference = members["$ref"] {
            guard case .string(let text) = reference else { throw builder.fail("$ref", "must be a string") }
            let target = try resolve(text, from: builder.scope, keyword: index.child(builder.location, "$ref"))
            builder.keywords.append(.ref(try nodeID(target)))
            // Before 2019-09, `$ref` stands alone: its siblings are ignored.
            if rules.dialect.refOverridesSiblings { return }
        }
        if rules.dialect.hasDynamicRef, let reference = members["$dynamicRef"] {
            guard case .string(let text) = reference else { throw builder.fail("$dynamicRef", "must be a string") }
            let target = try resolve(text, from: builder.scope, keyword: index.child(builder.location, "$dynamicRef"))
            // The reference is dynamic only when it names a plain anchor and lands on a `$dynamicAnchor` of that name.
            var anchor: String?
            if let fragment = URIReference(text).fragment, !fragment.isEmpty, !fragment.hasPrefix("/"),
                case .string(let declared)? = index.value(at: target)?["$dynamicAnchor"],
                declared == fragment
            {
                anchor = fragment
                dynamicAnchorNames.insert(fragment)
            }
            builder.keywords.append(.dynamicRef(try nodeID(target), anchor: anchor, keyword: "$dynamicRef"))
        }
        if rules.dialect.hasRecursiveRef, let reference = members["$recursiveRef"] {
            guard case .string(let text) = reference else { throw builder.fail("$recursiveRef", "must be a string") }
            let target = try resolve(text, from: builder.scope, keyword: index.child(builder.location, "$recursiveRef"))
            // Dynamic only when it lands on `$recursiveAnchor: true`; otherwise it is a plain `$ref`.
            var anchor: String?
            if index.value(at: target)?["$recursiveAnchor"] == .bool(true) {
                anchor = Dialect.recursiveAnchorName
                dynamicAnchorNames.insert(Dialect.recursiveAnchorName)
            }
            builder.keywords.append(.dynamicRef(try nodeID(target), anchor: anchor, keyword: "$recursiveRef"))
        }
        if rules.has(.validation) { try compileValidationKeywords(&builder) }
        if assertsFormats || rules.has(.formatAssertion), case .string(let name)? = members["format"],
            let format = Format(rawValue: name)
        {
            builder.keywords.append(.format(format))
        }
        if rules.dialect == .draft7,
            let rule = ContentRule(encoding: members["contentEncoding"]?.stringValue, mediaType: members["contentMediaType"]?.stringValue)
        {
            builder.keywords.append(.content(rule))
        }
        if rules.has(.applicator) { try compileApplicators(&builder) }
        if rules.has(.unevaluated) && rules.dialect.hasUnevaluated {
            // Last: they depend on what every other keyword of this schema evaluated.
            if let schema = members["unevaluatedItems"] {
                builder.keywords.append(.unevaluatedItems(try subschema(builder, "unevaluatedItems", schema)))
                builder.collectsAnnotations = true
            }
            if let schema = members["unevaluatedProperties"] {
                builder.keywords.append(.unevaluatedProperties(try subschema(builder, "unevaluatedProperties", schema)))
                builder.collectsAnnotations = true
            }
        }
    }

    private func compileValidationKeywords(_ builder: inout KeywordBuilder) throws(SchemaError) {
        let members = builder.members
        let legacy = builder.scope.rules.acceptsLegacyForms
        if let value = members["type"] { builder.keywords.append(.type(try builder.typeSet(value))) }
        if let value = members["enum"] {
            guard case .array(let options) = value else { throw builder.fail("enum", "must be an array") }
            builder.keywords.append(.enumeration(options))
        }
        if let value = members["const"] { builder.keywords.append(.constant(value)) }
        if let value = members["multipleOf"] {
            let divisor = try builder.number("multipleOf", value)
            guard divisor > .integer(0) else { throw builder.fail("multipleOf", "must be greater than 0") }
            builder.keywords.append(.multipleOf(divisor))
        }
        // Draft-04 style: `"exclusiveMinimum": true` makes `minimum` exclusive.
        let legacyExclusiveMinimum = legacy && members["exclusiveMinimum"] == .bool(true)
        let legacyExclusiveMaximum = legacy && members["exclusiveMaximum"] == .bool(true)
        if let value = members["minimum"] {
            let bound = try builder.number("minimum", value)
            builder.keywords.append(legacyExclusiveMinimum ? .exclusiveMinimum(bound, keyword: "minimum") : .minimum(bound))
        }
        if let value = members["maximum"] {
            let bound = try builder.number("maximum", value)
            builder.keywords.append(legacyExclusiveMaximum ? .exclusiveMaximum(bound, keyword: "maximum") : .maximum(bound))
        }
        if let value = members["exclusiveMinimum"], !(legacy && value.boolValue != nil) {
            builder.keywords.append(.exclusiveMinimum(try builder.number("exclusiveMinimum", value), keyword: "exclusiveMinimum"))
        }
        if let value = members["exclusiveMaximum"], !(legacy && value.boolValue != nil) {
            builder.keywords.append(.exclusiveMaximum(try builder.number("exclusiveMaximum", value), keyword: "exclusiveMaximum"))
        }
        if let value = members["minLength"] { builder.keywords.append(.minLength(try builder.count("minLength", value))) }
        if let value = members["maxLength"] { builder.keywords.append(.maxLength(try builder.count("maxLength", value))) }
        if let value = members["pattern"] { builder.keywords.append(.pattern(try builder.pattern("pattern", value))) }
        if let value = members["minItems"] { builder.keywords.append(.minItems(try builder.count("minItems", value))) }
        if let value = members["maxItems"] { builder.keywords.append(.maxItems(try builder.count("maxItems", value))) }
        if let value = members["uniqueItems"] {
            guard case .bool(let unique) = value else { throw builder.fail("uniqueItems", "must be a boolean") }
            if unique { builder.keywords.append(.uniqueItems) }
        }
        if let value = members["required"] { builder.keywords.append(.required(try builder.stringArray("required", value))) }
        if let value = members["minProperties"] { builder.keywords.append(.minProperties(try builder.count("minProperties", value))) }
        if let value = members["maxProperties"] { builder.keywords.append(.maxProperties(try builder.count("maxProperties", value))) }
        if builder.scope.rules.dialect.hasDependentKeywords, let value = members["dependentRequired"] {
            guard case .object(let dependencies) = value else { throw builder.fail("dependentRequired", "must be an object") }
            var rules: [(name: String, required: [String])] = []
            for name in dependencies.keys.sorted() {
                rules.append((name, try builder.stringArray("dependentRequired", dependencies[name]!)))
            }
            builder.keywords.append(.dependentRequired(rules, keyword: "dependentRequired"))
        }
    }

    private mutating func compileApplicators(_ builder: inout KeywordBuilder) throws(SchemaError) {
        let members = builder.members
        let dialect = builder.scope.rules.dialect
        let legacy = builder.scope.rules.acceptsLegacyForms
        // Arrays.
        var items = ItemRules()
        var hasItems = false
        if dialect.hasPrefixItems, let value = members["prefixItems"] {
            items.prefix = try schemaList(builder, "prefixItems", value)
            hasItems = true
        }
        if let value = members["items"] {
            if case .array = value {
                guard dialect.hasTupleItems || (legacy && members["prefixItems"] == nil) else {
                    throw builder.fail("items", "must be a schema (an array of schemas is prefixItems in draft 2020-12)")
                }
                items.prefix = try schemaList(builder, "items", value, allowEmpty: true)
                items.prefixKeyword = "items"
                if let additional = members["additionalItems"] {
                    items.rest = try subschema(builder, "additionalItems", additional)
                    items.restKeyword = "additionalItems"
                }
            } else {
                items.rest = try subschema(builder, "items", value)
            }
            hasItems = true
        }
        if hasItems { builder.keywords.append(.items(Shared(items))) }
        if let value = members["contains"] {
            let schema = try subschema(builder, "contains", value)
            var minimum = 1
            var maximum: Int?
            if dialect.hasContainsBounds {
                if let bound = members["minContains"] { minimum = try builder.count("minContains", bound) }
                if let bound = members["maxContains"] { maximum = try builder.count("maxContains", bound) }
            }
            builder.keywords.append(.contains(schema, minimum: minimum, maximum: maximum))
        }
        // Objects.
        var objectMembers = ObjectMembers()
        var hasObjectMembers = false
        if let value = members["properties"] {
            guard case .object(let properties) = value else { throw builder.fail("properties", "must be an object") }
            for (name, schema) in properties {
                objectMembers.properties[name] = try subschema(builder, "properties", schema, name: name)
            }
            hasObjectMembers = true
        }
        if let value = members["patternProperties"] {
            guard case .object(let patterns) = value else { throw builder.fail("patternProperties", "must be an object") }
            for source in patterns.keys.sorted() {
                let pattern = try builder.pattern("patternProperties", .string(source))
                objectMembers.patternProperties.append((pattern, try subschema(builder, "patternProperties", patterns[source]!, name: source)))
            }
            hasObjectMembers = true
        }
        if let value = members["additionalProperties"] {
            objectMembers.additionalProperties = try subschema(builder, "additionalProperties", value)
            hasObjectMembers = true
        }
        if hasObjectMembers { builder.keywords.append(.members(Shared(objectMembers))) }
        if let value = members["propertyNames"] {
            builder.keywords.append(.propertyNames(try subschema(builder, "propertyNames", value)))
        }
        if dialect.hasDependentKeywords, let value = members["dependentSchemas"] {
            guard case .object(let dependencies) = value else { throw builder.fail("dependentSchemas", "must be an object") }
            var schemas: [(name: String, schema: NodeID)] = []
            for name in dependencies.keys.sorted() {
                schemas.append((name, try subschema(builder, "dependentSchemas", dependencies[name]!, name: name)))
            }
            builder.keywords.append(.dependentSchemas(schemas, keyword: "dependentSchemas"))
        }
        // `dependencies` is draft-07's; 2020-12 still honours it so that older schemas keep their meaning.
        if dialect != .draft2019_09, let value = members["dependencies"] {
            guard case .object(let dependencies) = value else { throw builder.fail("dependencies", "must be an object") }
            var required: [(name: String, required: [String])] = []
            var schemas: [(name: String, schema: NodeID)] = []
            for name in dependencies.keys.sorted() {
                let dependency = dependencies[name]!
                if case .array = dependency {
                    required.append((name, try builder.stringArray("dependencies", dependency)))
                } else {
                    schemas.append((name, try subschema(builder, "dependencies", dependency, name: name)))
                }
            }
            if !required.isEmpty { builder.keywords.append(.dependentRequired(required, keyword: "dependencies")) }
            if !schemas.isEmpty { builder.keywords.append(.dependentSchemas(schemas, keyword: "dependencies")) }
        }
        // Combinators.
        if let value = members["allOf"] { builder.keywords.append(.allOf(try schemaList(builder, "allOf", value))) }
        if let value = members["anyOf"] { builder.keywords.append(.anyOf(try schemaList(builder, "anyOf", value))) }
        if let value = members["oneOf"] { builder.keywords.append(.oneOf(try schemaList(builder, "oneOf", value))) }
        if let value = members["not"] { builder.keywords.append(.not(try subschema(builder, "not", value))) }
        if let value = members["if"] {
            let condition = try subschema(builder, "if", value)
            let then = try members["then"].map { value throws(SchemaError) in try subschema(builder, "then", value) }
            let otherwise = try members["else"].map { value throws(SchemaError) in try subschema(builder, "else", value) }
            builder.keywords.append(.conditional(if: condition, then: then, else: otherwise))
        }
    }

    private static func isAnchorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || "-_.".unicodeScalars.contains($0) }
    }

    private mutating func subschema(_ builder: KeywordBuilder, _ keyword: String, _ value: JSONValue, name: String? = nil) throws(SchemaError) -> NodeID {
        var location = index.child(builder.location, keyword)
        if let name { location = index.child(location, name) }
        switch value {
        case .object, .bool: break
        default: throw SchemaError(keywordLocation: describe(location), reason: "must be a schema (an object or a boolean), not \(value.typeName)")
        }
        return try nodeID(location)
    }

    private mutating func schemaList(_ builder: KeywordBuilder, _ keyword: String, _ value: JSONValue, allowEmpty: Bool = false) throws(SchemaError) -> [NodeID] {
        guard case .array(let schemas) = value, allowEmpty || !schemas.isEmpty else {
            throw builder.fail(keyword, "must be a non-empty array of schemas")
        }
        var ids: [NodeID] = []
        for (position, schema) in schemas.enumerated() {
            ids.append(try subschema(builder, keyword, schema, name: String(position)))
        }
        return ids
    }
}

/// The keywords of one schema object as they are compiled, and the checks on their values.
private struct KeywordBuilder {
    let location: SchemaLocation
    let scope: SchemaScope
    let members: [String: JSONValue]
    var keywords: [Keyword] = []
    var collectsAnnotations = false

    init(location: SchemaLocation, scope: SchemaScope, members: [String: JSONValue]) {
        self.location = location
        self.scope = scope
        self.members = members
    }

    func fail(_ keyword: String, _ reason: String) -> SchemaError {
        SchemaError(relativeLocation: "/" + JSONPointer.escape(keyword), reason: reason)
    }

    func typeSet(_ value: JSONValue) throws(SchemaError) -> TypeSet {
        func single(_ name: JSONValue) throws(SchemaError) -> TypeSet {
            guard case .string(let string) = name, let type = TypeSet.byName[string] else {
                throw fail("type", "unknown type \(name)")
            }
            return type
        }
        if case .array(let names) = value {
            guard !names.isEmpty else { throw fail("type", "must name at least one type") }
            var set: TypeSet = []
            for name in names {
                let type = try single(name)
                guard set.isDisjoint(with: type) else { throw fail("type", "names \(name) twice") }
                set.formUnion(type)
            }
            return set
        }
        return try single(value)
    }

    func number(_ keyword: String, _ value: JSONValue) throws(SchemaError) -> JSONNumber {
        guard case .number(let number) = value else { throw fail(keyword, "must be a number") }
        return number
    }

    func count(_ keyword: String, _ value: JSONValue) throws(SchemaError) -> Int {
        guard case .number(let number) = value, number.isInteger, number >= .integer(0) else {
            throw fail(keyword, "must be a non-negative integer")
        }
        return number.int64Value.map { Int($0) } ?? Int.max
    }

    func stringArray(_ keyword: String, _ value: JSONValue) throws(SchemaError) -> [String] {
        guard case .array(let elements) = value else { throw fail(keyword, "must be an array of strings") }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element else { throw fail(keyword, "must be an array of strings") }
            strings.append(string)
        }
        return strings
    }

    func pattern(_ keyword: String, _ value: JSONValue) throws(SchemaError) -> Pattern {
        guard case .string(let source) = value else { throw fail(keyword, "must be a string") }
        do {
            return try Pattern(source)
        } catch let error as ECMARegex.SyntaxError {
            throw fail(keyword, "invalid regular expression \(source): \(error.reason)")
        } catch {
            throw fail(keyword, "unsupported regular expression \(source)")
        }
    }
}
