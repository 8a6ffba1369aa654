import Foundation
import JSON
import JSONSchema
import Testing

@Suite("JSON Schema robustness: deep, huge and hostile input")
struct RobustnessTests {
    /// `[[[…]]]` nested `depth` levels, built without recursion.
    static func nestedArrays(depth: Int) -> JSONValue {
        var value: JSONValue = 0
        for _ in 0..<depth { value = [value] }
        return value
    }

    @Test("an instance nested 10,000 levels deep fails with a clear error instead of overflowing the stack")
    func deepInstance() throws {
        let schema = try JSONSchema(["$defs": ["node": ["items": ["$ref": "#/$defs/node"]]], "$ref": "#/$defs/node"])
        let deep = Self.nestedArrays(depth: 10_000)
        let errors = schema.validate(deep)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("recursion deeper than") == true)
        #expect(!schema.isValid(deep))
        // A reasonable depth still validates.
        #expect(schema.isValid(Self.nestedArrays(depth: 300)))
    }

    @Test("a schema nested 10,000 levels deep compiles without recursion")
    func deepSchema() throws {
        var document: JSONValue = ["type": "integer"]
        for _ in 0..<10_000 { document = ["properties": ["a": document]] }
        let schema = try JSONSchema(document)
        #expect(schema.nodeCount == 10_001)
        #expect(schema.isValid(["a": ["a": 1]]))
    }

    @Test("a $ref cycle that never reaches the instance is refused at compile time")
    func referenceCycle() {
        let cycles: [JSONValue] = [
            ["$ref": "#"],
            ["$defs": ["a": ["$ref": "#/$defs/b"], "b": ["$ref": "#/$defs/a"]], "$ref": "#/$defs/a"],
            ["$defs": ["a": ["allOf": [["$ref": "#/$defs/a"]]]], "properties": ["x": ["$ref": "#/$defs/a"]]],
        ]
        for cycle in cycles {
            #expect(throws: SchemaError.self, "\(cycle)") { try JSONSchema(cycle) }
        }
    }

    @Test("a huge array validates in linear time, and uniqueItems finds duplicates by hashing")
    func hugeArray() throws {
        let items = (0..<200_000).map { JSONValue.number(.integer(Int64($0))) }
        let schema = try JSONSchema(["type": "array", "items": ["type": "integer", "minimum": 0], "uniqueItems": true])
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(schema.isValid(.array(items))) }
        // Not a performance assertion: a quadratic uniqueItems would take minutes, not seconds.
        #expect(elapsed < .seconds(30))
        let duplicated = schema.validate(.array(items + [7]))
        #expect(duplicated.map(\.message) == ["items 7 and 200000 are equal; items must be unique"])
    }

    @Test("a catastrophically backtracking pattern is cut off and reported, not left to hang")
    func pathologicalPattern() throws {
        let schema = try JSONSchema(["pattern": "^(a+)+$"])
        let hostile = String(repeating: "a", count: 40) + "!"
        let errors = schema.validate(.string(hostile))
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("within") == true)
        #expect(schema.isValid(.string(String(repeating: "a", count: 40))))
    }

    @Test("simple patterns run in linear time on long input")
    func longInputSimplePattern() throws {
        let schema = try JSONSchema(["pattern": "^[a-z]*a*b$"])
        let long = String(repeating: "a", count: 100_000)
        #expect(!schema.isValid(.string(long)))
        #expect(schema.isValid(.string(long + "b")))
    }

    static let malformedSchemas: [(JSONValue, String)] = [
        ("x", ""), (["type": "strin"], "/type"), (["minLength": -1], "/minLength"), (["minLength": 1.5], "/minLength"),
        (["properties": ["a": ["pattern": "("]]], "/properties/a/pattern"), (["oneOf": []], "/oneOf"),
        (["required": [1]], "/required"), (["multipleOf": 0], "/multipleOf"), (["enum": 3], "/enum"),
        (["properties": ["a": 5]], "/properties/a"), (["$ref": "#/$defs/missing"], "/$ref"),
        (["$ref": "https://example.com/not-registered.json"], "/$ref"), (["$id": "https://x.test/a#frag"], "/$id"),
        (["$schema": "https://example.com/unknown-dialect"], "/$schema"), (["pattern": "\\a"], "/pattern"),
        (["$schema": "https://json-schema.org/draft/2020-12/schema", "items": [["type": "integer"]]], "/items"),
        (["dependentRequired": ["a": "b"]], "/dependentRequired"), (["type": []], "/type"),
        (["type": ["string", "string"]], "/type"), (["$anchor": "1st"], "/$anchor"), (["$dynamicAnchor": 5], "/$dynamicAnchor"),
    ]

    @Test("a malformed schema is refused at compile time with its location", arguments: malformedSchemas)
    func malformedSchema(schema: JSONValue, location: String) {
        do {
            _ = try JSONSchema(schema)
            Issue.record("compiled \(schema)")
        } catch {
            #expect(error.keywordLocation == location, "\(error)")
        }
    }
}
