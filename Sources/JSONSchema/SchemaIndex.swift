import JSON
/// Where a subschema sits: a loaded document and a path into it, interned in `SchemaPaths`.
struct SchemaLocation: Hashable {
    let document: Int
    let path: Int
}

/// Paths into documents as a tree of interned components, so that a location deep in a 10,000-level schema costs
/// as much as one near the root (its JSON Pointer is only rendered for messages).
struct SchemaPaths {
    private var parents: [Int] = []
    private var components: [String] = []
    private var children: [ChildKey: Int] = [:]

    private struct ChildKey: Hashable {
        let parent: Int
        let component: String
    }

    mutating func newRoot() -> Int {
        parents.append(-1)
        components.append("")
        return parents.count - 1
    }

    mutating func child(_ parent: Int, _ component: String) -> Int {
        let key = ChildKey(parent: parent, component: component)
        if let existing = children[key] { return existing }
        parents.append(parent)
        components.append(component)
        children[key] = parents.count - 1
        return parents.count - 1
    }

    func parent(of path: Int) -> Int? {
        parents[path] < 0 ? nil : parents[path]
    }

    /// The components from the document root down to `path`.
    func components(of path: Int) -> [String] {
        var result: [String] = []
        var current = path
        while parents[current] >= 0 {
            result.append(components[current])
            current = parents[current]
        }
        return result.reversed()
    }
}

/// What applies at one subschema: its value, its base URI, its resource and the rules of its dialect.
struct SchemaScope {
    let value: JSONValue
    let base: URIReference
    let resource: Int
    let rules: SchemaRules
}

/// Every identifier in the loaded documents: resources by `$id`, anchors, and the scope of every subschema.
///
/// Only values in schema positions are walked, so an `$id` inside `enum`, `const` or an unknown keyword is data,
/// not an identifier, as the specification says.
struct SchemaIndex {
    var documents: [JSONValue] = []
    var documentURIs: [String] = []
    var resourceRoots: [String: SchemaLocation] = [:]
    var anchors: [String: SchemaLocation] = [:]
    var scopes: [SchemaLocation: SchemaScope] = [:]
    var resources: [(uri: String, dynamicAnchors: [String: SchemaLocation])] = []
    private var paths = SchemaPaths()

    mutating func child(_ location: SchemaLocation, _ component: String) -> SchemaLocation {
        SchemaLocation(document: location.document, path: paths.child(location.path, component))
    }

    /// The location a JSON Pointer (already percent-decoded) designates, relative to `base`.
    mutating func location(_ pointer: String, from base: SchemaLocation) -> SchemaLocation {
        var location = base
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            location = child(location, JSONPointer.unescape(String(token)))
        }
        return location
    }

    func pointer(_ location: SchemaLocation) -> String {
        JSONPointer.render(paths.components(of: location.path))
    }

    /// The raw JSON at a location, whether or not it was indexed as a schema.
    func value(at location: SchemaLocation) -> JSONValue? {
        JSONPointer.value(at: paths.components(of: location.path), in: documents[location.document])
    }

    /// The rules a `$schema` value selects, reading custom meta-schemas' `$vocabulary` from the registry.
    static func rules(forMetaschema uri: String, registry: SchemaRegistry) throws(SchemaError) -> SchemaRules {
        if let dialect = Dialect(metaschemaURI: uri) {
            var rules = SchemaRules.standard(dialect, legacy: uri.contains("draft-04") || uri.contains("draft-06"))
            rules.identifiesWithPlainID = uri.contains("draft-04")
            return rules
        }
        guard case .object(let metaschema)? = registry.document(at: uri) else {
            throw SchemaError(keywordLocation: "/$schema", reason: "unknown meta-schema \(uri) (not a known dialect, not in the registry)")
        }
        var dialect = Dialect.draft2020_12
        if case .string(let parent)? = metaschema["$schema"], let known = Dialect(metaschemaURI: parent) {
            dialect = known
        }
        guard case .object(let declared)? = metaschema["$vocabulary"] else { return .standard(dialect) }
        var vocabularies: Vocabularies = []
        for (vocabularyURI, required) in declared {
            if let vocabulary = Vocabularies(uri: vocabularyURI) {
                vocabularies.formUnion(vocabulary)
            } else if required == .bool(true) {
                throw SchemaError(keywordLocation: "/$schema", reason: "meta-schema \(uri) requires the unknown vocabulary \(vocabularyURI)")
            }
        }
        return SchemaRules(dialect: dialect, vocabularies: vocabularies, acceptsLegacyForms: false)
    }

    /// Loads a document and indexes it; answers its root location.
    mutating func load(
        _ document: JSONValue, retrievalURI: URIReference, inheritedRules: SchemaRules, registry: SchemaRegistry
    ) throws(SchemaError) -> SchemaLocation {
        let location = SchemaLocation(document: documents.count, path: paths.newRoot())
        documents.append(document)
        documentURIs.append(retrievalURI.description)
        resourceRoots[retrievalURI.withoutFragment.description] = location
        resources.append((retrievalURI.withoutFragment.description, [:]))
        try walk(document, at: location, base: retrievalURI.withoutFragment, resource: resources.count - 1,
                 rules: inheritedRules, isDocumentRoot: true, registry: registry)
        return location
    }

    /// Indexes a value reached by a JSON Pointer that no schema keyword leads to (an unknown keyword's value).
    mutating func indexDetached(_ value: JSONValue, at location: SchemaLocation, registry: SchemaRegistry) throws(SchemaError) {
        var ancestor = location.path
        while let parent = paths.parent(of: ancestor) {
            ancestor = parent
            if let scope = scopes[SchemaLocation(document: location.document, path: ancestor)] {
                try walk(value, at: location, base: scope.base, resource: scope.resource, rules: scope.rules,
                         isDocumentRoot: false, registry: registry)
                return
            }
        }
        throw SchemaError(keywordLocation: pointer(location), reason: "no schema at this location")
    }

    /// Walks a schema and its subschemas with an explicit stack, so deeply nested schemas cannot exhaust the stack.
    private mutating func walk(
        _ value: JSONValue, at location: SchemaLocation, base: URIReference, resource: Int, rules: SchemaRules,
        isDocumentRoot: Bool, registry: SchemaRegistry
    ) throws(SchemaError) {
        var pending = [(value, location, base, resource, rules, isDocumentRoot)]
        while let (value, location, inheritedBase, inheritedResource, inheritedRules, isRoot) = pending.popLast() {
            guard scopes[location] == nil else { continue }
            var base = inheritedBase
            var resource = inheritedResource
            var rules = inheritedRules
            guard case .object(let members) = value else {
                scopes[location] = SchemaScope(value: value, base: base, resource: resource, rules: rules)
                continue
            }
            if case .string(let metaschema)? = members["$schema"], isRoot || members[rules.idKeyword] != nil {
                rules = try Self.rules(forMetaschema: SchemaRegistry.key(metaschema), registry: registry)
            }
            let ignoresID = rules.dialect.refOverridesSiblings && members["$ref"] != nil
            let startsResource = isRoot || members[rules.idKeyword] != nil
            if case .string(let id)? = members[rules.idKeyword], !ignoresID {
                if rules.dialect.hasFragmentIDs && id.hasPrefix("#") {
                    anchors[base.withoutFragment.description + id] = location
                } else {
                    let resolved = URIReference(id).resolved(against: base)
                    if let fragment = resolved.fragment, !fragment.isEmpty {
                        guard rules.dialect.hasFragmentIDs else {
                            throw SchemaError(keywordLocation: pointer(location) + "/$id", reason: "$id must not have a fragment: \(id)")
                        }
                        anchors[resolved.withoutFragment.description + "#" + fragment] = location
                    }
                    base = resolved.withoutFragment
                    let uri = base.description
                    if isRoot {
                        resources[resource] = (uri, resources[resource].dynamicAnchors)
                    } else {
                        resources.append((uri, [:]))
                        resource = resources.count - 1
                    }
                    resourceRoots[uri] = location
                }
            }
            if rules.dialect.hasAnchorKeyword, case .string(let anchor)? = members["$anchor"] {
                anchors[base.description + "#" + anchor] = location
            }
            if rules.dialect.hasDynamicRef, case .string(let anchor)? = members["$dynamicAnchor"] {
                anchors[base.description + "#" + anchor] = location
                resources[resource].dynamicAnchors[anchor] = location
            }
            // Only a resource's root may be a recursive anchor.
            if rules.dialect.hasRecursiveRef, startsResource, members["$recursiveAnchor"] == .bool(true) {
                resources[resource].dynamicAnchors[Dialect.recursiveAnchorName] = location
            }
            scopes[location] = SchemaScope(value: value, base: base, resource: resource, rules: rules)
            for (keyword, value) in members {
                for (subschema, path) in Self.subschemas(of: keyword, value) {
                    var subLocation = child(location, keyword)
                    if let path { subLocation = child(subLocation, path) }
                    pending.append((subschema, subLocation, base, resource, rules, false))
                }
            }
        }
    }

    private static let singleSchemaKeywords: Set<String> = [
        "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains", "items", "additionalItems",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    ]
    private static let schemaArrayKeywords: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems", "items"]
    private static let schemaMapKeywords: Set<String> = [
        "$defs", "definitions", "properties", "patternProperties", "dependentSchemas", "dependencies",
    ]

    /// The schemas a keyword's value holds, with the member name or index under the keyword where they sit.
    private static func subschemas(of keyword: String, _ value: JSONValue) -> [(JSONValue, String?)] {
        switch value {
        case .object(let members) where schemaMapKeywords.contains(keyword):
            return members.compactMap { name, schema in
                switch schema {
                case .object, .bool: (schema, name)
                default: nil
                }
            }
        case .object where singleSchemaKeywords.contains(keyword), .bool where singleSchemaKeywords.contains(keyword):
            return [(value, nil)]
        case .array(let elements) where schemaArrayKeywords.contains(keyword):
            return elements.enumerated().map { ($1, String($0)) }
        default:
            return []
        }
    }
}
