import JSON
/// Turns a schema document (and the registry documents it references) into a `SchemaProgram`, refusing anything
/// malformed with the location of the problem.
///
/// Subschemas are compiled from a work list, not by recursion, and `$ref`s become node indexes, so neither deep
/// nesting nor reference cycles can exhaust the stack.
struct SchemaCompiler {
    let registry: SchemaRegistry
    let assertsFormats: Bool
    var index = SchemaIndex()
    var nodes: [SchemaNode] = []
    var nodeIDs: [SchemaLocation: NodeID] = [:]
    var pending: [(NodeID, SchemaLocation)] = []
    var dynamicAnchorNames: Set<String> = []

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

    mutating func drain() throws(SchemaError) {
        while let (id, location) = pending.popLast() {
            try compileNode(id, at: location)
        }
    }

    /// The node for a location, allocated now and compiled later from the work list.
    mutating func nodeID(_ location: SchemaLocation) throws(SchemaError) -> NodeID {
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

    func describe(_ location: SchemaLocation) -> String {
        location.document == 0 ? index.pointer(location) : index.documentURIs[location.document] + "#" + index.pointer(location)
    }

    // MARK: References

    mutating func resolve(_ reference: String, from scope: SchemaScope, keyword: SchemaLocation) throws(SchemaError) -> SchemaLocation {
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
    func rejectReferenceCycles() throws(SchemaError) {
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

    func unconditionalSuccessors(of node: NodeID) -> [NodeID] {
        nodes[node].keywords.flatMap { keyword -> [NodeID] in
            switch keyword {
            case .ref(let target): [target]
            case .allOf(let branches): branches
            default: []
            }
        }
    }

    // MARK: Keywords

    mutating func compileNode(_ id: NodeID, at location: SchemaLocation) throws(SchemaError) {
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

    mutating func compileKeywords(_ builder: inout KeywordBuilder) throws(SchemaError) {
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

    func compileValidationKeywords(_ builder: inout KeywordBuilder) throws(SchemaError) {
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

    static func isAnchorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || "-_.".unicodeScalars.contains($0) }
    }

}
