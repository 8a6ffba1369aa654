/// Turns a schema document into `SchemaNode`s, refusing anything malformed with the location of the problem.
struct SchemaCompiler {
    private var location: [String] = []

    mutating func compile(_ schema: JSONValue) throws(SchemaError) -> SchemaNode {
        switch schema {
        case .bool(let value):
            return .always(value)
        case .object(let members):
            var keywords: [Keyword] = []
            var objectMembers = ObjectMembers()
            var hasObjectMembers = false
            // Sorted so that errors come out in a stable order.
            for key in members.keys.sorted() {
                let value = members[key]!
                location.append(key)
                defer { location.removeLast() }
                switch key {
                case "type": keywords.append(.type(try typeSet(value)))
                case "enum":
                    guard case .array(let options) = value else { throw fail("must be an array") }
                    keywords.append(.enumeration(options))
                case "const": keywords.append(.constant(value))
                case "minimum": keywords.append(.minimum(try number(value)))
                case "maximum": keywords.append(.maximum(try number(value)))
                case "exclusiveMinimum": keywords.append(.exclusiveMinimum(try number(value)))
                case "exclusiveMaximum": keywords.append(.exclusiveMaximum(try number(value)))
                case "minLength": keywords.append(.minLength(try count(value)))
                case "maxLength": keywords.append(.maxLength(try count(value)))
                case "minItems": keywords.append(.minItems(try count(value)))
                case "maxItems": keywords.append(.maxItems(try count(value)))
                case "minProperties": keywords.append(.minProperties(try count(value)))
                case "maxProperties": keywords.append(.maxProperties(try count(value)))
                case "pattern": keywords.append(.pattern(try pattern(value)))
                case "items": keywords.append(.items(try compile(value)))
                case "required":
                    guard case .array(let names) = value else { throw fail("must be an array of strings") }
                    var required: [String] = []
                    for name in names {
                        guard case .string(let string) = name else { throw fail("must be an array of strings") }
                        required.append(string)
                    }
                    keywords.append(.required(required))
                case "properties":
                    guard case .object(let properties) = value else { throw fail("must be an object") }
                    for (name, subschema) in properties {
                        location.append(name)
                        objectMembers.properties[name] = try compile(subschema)
                        location.removeLast()
                    }
                    hasObjectMembers = true
                case "patternProperties":
                    guard case .object(let patterns) = value else { throw fail("must be an object") }
                    for source in patterns.keys.sorted() {
                        location.append(source)
                        objectMembers.patternProperties.append((try pattern(.string(source)), try compile(patterns[source]!)))
                        location.removeLast()
                    }
                    hasObjectMembers = true
                case "additionalProperties":
                    objectMembers.additionalProperties = try compile(value)
                    hasObjectMembers = true
                case "allOf": keywords.append(.allOf(try schemaList(value)))
                case "anyOf": keywords.append(.anyOf(try schemaList(value)))
                case "oneOf": keywords.append(.oneOf(try schemaList(value)))
                case "not": keywords.append(.not(try compile(value)))
                default:
                    // Unknown keywords are annotations: ignored, as the specification requires.
                    break
                }
            }
            if hasObjectMembers { keywords.append(.members(objectMembers)) }
            return .keywords(keywords)
        default:
            throw fail("a schema must be an object or a boolean, not \(schema.typeName)")
        }
    }

    private func fail(_ reason: String) -> SchemaError {
        SchemaError(keywordLocation: JSONPointer.render(location), reason: reason)
    }

    private func typeSet(_ value: JSONValue) throws(SchemaError) -> TypeSet {
        func single(_ name: JSONValue) throws(SchemaError) -> TypeSet {
            guard case .string(let string) = name, let type = TypeSet.byName[string] else {
                throw fail("unknown type \(name)")
            }
            return type
        }
        if case .array(let names) = value {
            var set: TypeSet = []
            for name in names { set.formUnion(try single(name)) }
            return set
        }
        return try single(value)
    }

    private func number(_ value: JSONValue) throws(SchemaError) -> JSONNumber {
        guard case .number(let number) = value else { throw fail("must be a number") }
        return number
    }

    private func count(_ value: JSONValue) throws(SchemaError) -> Int {
        guard case .number(let number) = value, let exact = number.int64Value, exact >= 0 else {
            throw fail("must be a non-negative integer")
        }
        return Int(exact)
    }

    private func pattern(_ value: JSONValue) throws(SchemaError) -> Pattern {
        guard case .string(let source) = value else { throw fail("must be a string") }
        do {
            return try Pattern(source)
        } catch {
            throw fail("invalid regular expression \(source)")
        }
    }

    private mutating func schemaList(_ value: JSONValue) throws(SchemaError) -> [SchemaNode] {
        guard case .array(let schemas) = value, !schemas.isEmpty else { throw fail("must be a non-empty array") }
        var nodes: [SchemaNode] = []
        for (index, schema) in schemas.enumerated() {
            location.append(String(index))
            nodes.append(try compile(schema))
            location.removeLast()
        }
        return nodes
    }
}
