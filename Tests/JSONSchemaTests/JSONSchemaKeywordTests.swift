import JSON
import JSONSchema
import Testing

@Suite("JSON Schema keywords")
struct JSONSchemaKeywordTests {
    func errors(_ schema: JSONValue, _ instance: JSONValue) throws -> [ValidationError] {
        try JSONSchema(schema).validate(instance)
    }

    @Test("type, with integer accepting 1.0 and number accepting integers")
    func type() throws {
        #expect(try errors(["type": "integer"], 1.0).isEmpty)
        #expect(try errors(["type": "number"], 3).isEmpty)
        #expect(try errors(["type": ["string", "null"]], nil).isEmpty)
        let wrong = try errors(["type": "string"], 5)
        #expect(wrong.map(\.description) == ["/: expected string, got integer"])
        #expect(wrong.first?.keywordLocation == "/type")
    }

    @Test("properties, required and additionalProperties report instance and keyword locations")
    func objectKeywords() throws {
        let schema: JSONValue = [
            "type": "object",
            "properties": ["task_data": ["type": "object", "properties": ["url": ["type": "string"]]]],
            "required": ["task_id"],
            "additionalProperties": false,
        ]
        let found = try errors(schema, ["task_data": ["url": 7], "extra": true])
        #expect(Set(found.map(\.description)) == [
            "/task_data/url: expected string, got integer", "/extra: unexpected member 'extra'",
            "/: missing required member 'task_id'",
        ])
        let url = try #require(found.first { $0.instanceLocation == "/task_data/url" })
        #expect(url.keywordLocation == "/properties/task_data/properties/url/type")
    }

    @Test("patternProperties apply to matching names, additionalProperties to the rest")
    func patternProperties() throws {
        let schema: JSONValue = [
            "patternProperties": ["^x-": ["type": "integer"]], "additionalProperties": ["type": "string"],
        ]
        #expect(try errors(schema, ["x-a": 1, "b": "s"]).isEmpty)
        #expect(try errors(schema, ["x-a": "no", "b": 2]).map(\.instanceLocation).sorted() == ["/b", "/x-a"])
    }

    @Test("pattern matches anywhere unless anchored; lengths count characters, not bytes")
    func strings() throws {
        #expect(try errors(["pattern": "b+"], "abbc").isEmpty)
        #expect(try errors(["pattern": "^b+$"], "abbc").count == 1)
        #expect(try errors(["minLength": 2, "maxLength": 2], "éé").isEmpty)
        #expect(try errors(["maxLength": 2], "😀😀😀").first?.keyword == "maxLength")
        #expect(try errors(["pattern": "^a"], 5).isEmpty)
    }

    @Test("numeric bounds compare integers and decimals by value")
    func numericBounds() throws {
        #expect(try errors(["minimum": 1], 1).isEmpty)
        #expect(try errors(["minimum": 1], 0.5).first?.message == "must be at least 1")
        #expect(try errors(["maximum": 1.5], 2).count == 1)
        #expect(try errors(["exclusiveMinimum": 0], 0).count == 1)
        #expect(try errors(["exclusiveMaximum": 10], 9.99).isEmpty)
    }

    @Test("oneOf needs exactly one match and explains the closest branch when none match")
    func oneOf() throws {
        let schema: JSONValue = [
            "oneOf": [
                ["required": ["task_data"], "properties": ["task_data": ["type": "object"]]],
                ["required": ["task_error"], "properties": ["task_error": ["type": "string"]]],
            ]
        ]
        #expect(try errors(schema, ["task_data": [:]]).isEmpty)
        #expect(try errors(schema, ["task_data": [:], "task_error": "x"]).first?.message.contains("matched 2") == true)
        let none = try errors(schema, ["task_error": 5])
        #expect(none.first?.keyword == "oneOf")
        #expect(none.contains { $0.instanceLocation == "/task_error" && $0.keywordLocation == "/oneOf/1/properties/task_error/type" })
    }

    @Test("anyOf, allOf, not, enum, const, items and array bounds")
    func combinators() throws {
        #expect(try errors(["anyOf": [["type": "string"], ["type": "integer"]]], 1).isEmpty)
        #expect(try errors(["anyOf": [["type": "string"], ["type": "integer"]]], 1.5).count >= 1)
        #expect(try errors(["allOf": [["minimum": 1], ["maximum": 3]]], 5).map(\.keywordLocation) == ["/allOf/1/maximum"])
        #expect(try errors(["not": ["type": "null"]], nil).first?.keyword == "not")
        #expect(try errors(["enum": [1, "a", ["k": 1]]], ["k": 1.0]).isEmpty)
        #expect(try errors(["const": "x"], "y").count == 1)
        #expect(try errors(["items": ["type": "integer"], "minItems": 1, "maxItems": 2], [1, "x", 3]).map(\.instanceLocation).sorted() == ["", "/1"])
    }

    @Test("boolean schemas and first-error mode")
    func booleansAndFirstError() throws {
        #expect(try errors(true, ["anything": 1]).isEmpty)
        #expect(try errors(false, 1).count == 1)
        let schema = try JSONSchema(["required": ["a", "b"], "minProperties": 3, "type": "object"])
        #expect(schema.validate([:]).map(\.message) == ["must have at least 3 members", "missing required members 'a', 'b'"])
        #expect(schema.validate([:], mode: .firstError).count == 1)
        #expect(!schema.isValid([:]) && schema.isValid(["a": 1, "b": 2, "c": 3]))
    }
}
