import JSON

extension SchemaCompiler {
    mutating func compileApplicators(_ builder: inout KeywordBuilder) throws(SchemaError) {
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

    mutating func subschema(_ builder: KeywordBuilder, _ keyword: String, _ value: JSONValue, name: String? = nil) throws(SchemaError) -> NodeID {
        var location = index.child(builder.location, keyword)
        if let name { location = index.child(location, name) }
        switch value {
        case .object, .bool: break
        default: throw SchemaError(keywordLocation: describe(location), reason: "must be a schema (an object or a boolean), not \(value.typeName)")
        }
        return try nodeID(location)
    }

    mutating func schemaList(_ builder: KeywordBuilder, _ keyword: String, _ value: JSONValue, allowEmpty: Bool = false) throws(SchemaError) -> [NodeID] {
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
