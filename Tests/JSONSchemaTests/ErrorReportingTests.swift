import JSON
import JSONSchema
import Testing

@Suite("JSON Schema error reports")
struct ErrorReportingTests {
    @Test("keyword locations follow the evaluation path through $ref")
    func throughReferences() throws {
        let schema = try JSONSchema(json: ##"""
            {"$defs": {"url": {"type": "string", "maxLength": 10}},
             "properties": {"task_data": {"properties": {"url": {"$ref": "#/$defs/url"}}}}}
            """##)
        let errors = schema.validate(try JSONParser.parse(##"{"task_data": {"url": 7}}"##))
        #expect(errors.map(\.description) == ["/task_data/url: expected string, got integer"])
        #expect(errors.first?.keywordLocation == "/properties/task_data/properties/url/$ref/type")
        #expect(errors.first?.keyword == "type")
    }

    @Test("a failing oneOf reports itself and the branch that came closest")
    func closestBranch() throws {
        let schema = try JSONSchema(json: ##"""
            {"oneOf": [
                {"properties": {"kind": {"const": "a"}, "size": {"type": "integer"}}, "required": ["kind", "size"]},
                {"properties": {"kind": {"const": "b"}, "name": {"type": "string"}}, "required": ["kind", "name"]}]}
            """##)
        let errors = schema.validate(try JSONParser.parse(##"{"kind": "b", "name": 5}"##))
        #expect(errors.map(\.keyword) == ["oneOf", "type"])
        #expect(errors.last?.keywordLocation == "/oneOf/1/properties/name/type")
        let both = schema.validate(try JSONParser.parse(##"{"kind": "a", "size": 1, "name": "x"}"##))
        #expect(both.isEmpty)
    }

    @Test("firstError stops at the first failing keyword; allErrors reports every one in a stable order")
    func modes() throws {
        let schema = try JSONSchema(json: ##"{"properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"minimum": 5}}}"##)
        let instance = try JSONParser.parse(##"{"c": 1, "a": 1, "b": 2}"##)
        #expect(schema.validate(instance).map(\.instanceLocation) == ["/a", "/b", "/c"])
        #expect(schema.validate(instance, mode: .firstError).count == 1)
    }

    @Test("a schema error names the location of the problem")
    func schemaErrorDescription() {
        #expect(throws: SchemaError(keywordLocation: "/properties/a/minLength", reason: "must be a non-negative integer")) {
            try JSONSchema(json: ##"{"properties": {"a": {"minLength": "3"}}}"##)
        }
        let error = SchemaError(keywordLocation: "/properties/a/minLength", reason: "must be a non-negative integer")
        #expect(error.description == "invalid schema at /properties/a/minLength: must be a non-negative integer")
    }
}
