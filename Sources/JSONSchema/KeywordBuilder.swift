import JSON

/// The keywords of one schema object as they are compiled, and the checks on their values.
struct KeywordBuilder {
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
