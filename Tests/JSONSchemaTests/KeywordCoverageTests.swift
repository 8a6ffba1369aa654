import JSON
import JSONSchema
import Testing

/// Every keyword, with instances that pass and fail, so the library is covered without the official suite.
@Suite("JSON Schema keyword coverage")
struct KeywordCoverageTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let schema: String
        let valid: [String]
        let invalid: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "type", schema: ##"{"type": ["integer", "null"]}"##, valid: ["1", "1.0", "null"], invalid: ["1.5", "\"1\""]),
        Case(name: "enum", schema: ##"{"enum": [1, "a", {"k": [true]}]}"##, valid: ["1.0", "\"a\"", ##"{"k": [true]}"##], invalid: ["2", ##"{"k": [false]}"##]),
        Case(name: "const", schema: ##"{"const": {"a": [1, null]}}"##, valid: [##"{"a": [1.0, null]}"##], invalid: [##"{"a": [1]}"##, "null"]),
        Case(name: "multipleOf on decimals", schema: ##"{"multipleOf": 0.01}"##, valid: ["19.99", "0.07", "1e2", "-4.2"], invalid: ["19.991", "0.005"]),
        Case(name: "multipleOf on integers", schema: ##"{"multipleOf": 3}"##, valid: ["9", "-9", "0", "9.0"], invalid: ["10", "4.5"]),
        Case(name: "minimum and maximum", schema: ##"{"minimum": -1.5, "maximum": 3}"##, valid: ["-1.5", "3", "0"], invalid: ["-1.51", "3.0001"]),
        Case(name: "exclusive bounds", schema: ##"{"exclusiveMinimum": 0, "exclusiveMaximum": 1}"##, valid: ["0.5"], invalid: ["0", "1"]),
        Case(name: "string lengths count code points", schema: ##"{"minLength": 2, "maxLength": 3}"##, valid: ["\"ab\"", "\"😀😀😀\""], invalid: ["\"a\"", "\"abcd\"", "\"😀\""]),
        Case(name: "pattern", schema: ##"{"pattern": "^[a-z]+-\\d{2}$"}"##, valid: ["\"ab-12\"", "5"], invalid: ["\"ab-1\"", "\"AB-12\""]),
        Case(name: "minItems and maxItems", schema: ##"{"minItems": 1, "maxItems": 2}"##, valid: ["[1]", "[1, 2]", "{}"], invalid: ["[]", "[1, 2, 3]"]),
        Case(name: "uniqueItems compares JSON values", schema: ##"{"uniqueItems": true}"##, valid: ["[1, \"1\", [1], {\"a\": 1}]"], invalid: ["[1, 1.0]", ##"[{"a": 1, "b": 2}, {"b": 2, "a": 1}]"##]),
        Case(name: "prefixItems and items", schema: ##"{"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}"##, valid: ["[\"a\", 1, 2]", "[]"], invalid: ["[1]", "[\"a\", \"b\"]"]),
        Case(name: "items false after prefixItems", schema: ##"{"prefixItems": [true, true], "items": false}"##, valid: ["[1, 2]"], invalid: ["[1, 2, 3]"]),
        Case(name: "contains with minContains and maxContains", schema: ##"{"contains": {"const": 1}, "minContains": 2, "maxContains": 3}"##, valid: ["[1, 1]", "[1, 2, 1, 1]"], invalid: ["[1]", "[1, 1, 1, 1]"]),
        Case(name: "minContains 0 makes contains optional", schema: ##"{"contains": {"const": 1}, "minContains": 0}"##, valid: ["[]", "[2]"], invalid: []),
        Case(name: "required", schema: ##"{"required": ["a", "b"]}"##, valid: [##"{"a": 1, "b": null}"##, "[]"], invalid: [##"{"a": 1}"##]),
        Case(name: "minProperties and maxProperties", schema: ##"{"minProperties": 1, "maxProperties": 2}"##, valid: [##"{"a": 1}"##], invalid: ["{}", ##"{"a": 1, "b": 2, "c": 3}"##]),
        Case(name: "dependentRequired", schema: ##"{"dependentRequired": {"card": ["billing"]}}"##, valid: ["{}", ##"{"card": 1, "billing": 2}"##], invalid: [##"{"card": 1}"##]),
        Case(name: "dependentSchemas", schema: ##"{"dependentSchemas": {"card": {"required": ["billing"]}}}"##, valid: [##"{"billing": 1}"##], invalid: [##"{"card": 1}"##]),
        Case(name: "properties, patternProperties and additionalProperties", schema: ##"{"properties": {"a": {"type": "integer"}}, "patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}"##, valid: [##"{"a": 1, "x-b": "c"}"##], invalid: [##"{"a": "1"}"##, ##"{"x-b": 1}"##, ##"{"b": 1}"##]),
        Case(name: "propertyNames", schema: ##"{"propertyNames": {"maxLength": 3}}"##, valid: [##"{"abc": 1}"##], invalid: [##"{"abcd": 1}"##]),
        Case(name: "allOf", schema: ##"{"allOf": [{"minimum": 1}, {"maximum": 2}]}"##, valid: ["1.5"], invalid: ["3", "0"]),
        Case(name: "anyOf", schema: ##"{"anyOf": [{"type": "string"}, {"minimum": 10}]}"##, valid: ["\"a\"", "11"], invalid: ["9"]),
        Case(name: "oneOf", schema: ##"{"oneOf": [{"multipleOf": 2}, {"multipleOf": 3}]}"##, valid: ["4", "9"], invalid: ["6", "5"]),
        Case(name: "not", schema: ##"{"not": {"type": "null"}}"##, valid: ["1"], invalid: ["null"]),
        Case(name: "if, then, else", schema: ##"{"if": {"minimum": 10}, "then": {"multipleOf": 10}, "else": {"maximum": 5}}"##, valid: ["20", "3"], invalid: ["15", "7"]),
        Case(name: "unevaluatedProperties sees through allOf and $ref", schema: ##"{"$defs": {"b": {"properties": {"b": true}}}, "allOf": [{"properties": {"a": true}}, {"$ref": "#/$defs/b"}], "unevaluatedProperties": false}"##, valid: [##"{"a": 1, "b": 2}"##], invalid: [##"{"a": 1, "c": 3}"##]),
        Case(name: "unevaluatedProperties ignores failed anyOf branches", schema: ##"{"anyOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"b": true}}], "unevaluatedProperties": false}"##, valid: [##"{"b": 1}"##, ##"{"a": "x"}"##], invalid: [##"{"a": 1}"##]),
        Case(name: "unevaluatedItems with prefixItems and contains", schema: ##"{"prefixItems": [{"type": "string"}], "contains": {"const": 0}, "unevaluatedItems": false}"##, valid: ["[\"a\", 0, 0]"], invalid: ["[\"a\", 0, 1]"]),
        Case(name: "boolean schemas", schema: ##"{"properties": {"yes": true, "no": false}}"##, valid: [##"{"yes": 1}"##], invalid: [##"{"no": 1}"##]),
        Case(name: "$ref to $defs and definitions", schema: ##"{"$defs": {"int": {"type": "integer"}}, "definitions": {"str": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/int"}, "b": {"$ref": "#/definitions/str"}}}"##, valid: [##"{"a": 1, "b": "x"}"##], invalid: [##"{"a": "x"}"##, ##"{"b": 1}"##]),
        Case(name: "$ref with escaped pointer", schema: ##"{"$defs": {"a/b": {"type": "integer"}, "c%d": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/c%25d"}}}"##, valid: [##"{"x": 1, "y": "s"}"##], invalid: [##"{"x": "s"}"##, ##"{"y": 1}"##]),
        Case(name: "$anchor", schema: ##"{"$defs": {"n": {"$anchor": "positive", "exclusiveMinimum": 0}}, "$ref": "#positive"}"##, valid: ["1"], invalid: ["0"]),
        Case(name: "$id changes the base URI of relative references", schema: ##"{"$id": "https://example.test/root.json", "$defs": {"inner": {"$id": "inner/", "$defs": {"leaf": {"$id": "leaf.json", "type": "boolean"}}}}, "$ref": "https://example.test/inner/leaf.json"}"##, valid: ["true"], invalid: ["1"]),
        Case(name: "urn $id", schema: ##"{"$id": "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed", "$defs": {"bar": {"type": "string"}}, "$ref": "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/bar"}"##, valid: ["\"s\""], invalid: ["1"]),
        Case(name: "recursive $ref", schema: ##"{"properties": {"next": {"$ref": "#"}, "value": {"type": "integer"}}}"##, valid: [##"{"value": 1, "next": {"value": 2, "next": {}}}"##], invalid: [##"{"next": {"next": {"value": "x"}}}"##]),
        Case(name: "$dynamicRef resolves to the outermost $dynamicAnchor", schema: ##"{"$id": "https://example.test/root", "$ref": "list", "$defs": {"strings": {"$dynamicAnchor": "item", "type": "string"}, "list": {"$id": "list", "type": "array", "items": {"$dynamicRef": "#item"}, "$defs": {"anything": {"$dynamicAnchor": "item"}}}}}"##, valid: ["[\"a\", \"b\"]", "[]"], invalid: ["[1]", "[\"a\", null]"]),
        Case(name: "$dynamicRef without an outer anchor uses the inner one", schema: ##"{"$id": "https://example.test/list", "type": "array", "items": {"$dynamicRef": "#item"}, "$defs": {"anything": {"$dynamicAnchor": "item"}}}"##, valid: ["[1, \"a\"]"], invalid: ["{}"]),
        Case(name: "draft-04 style without $schema: items array, additionalItems, boolean exclusiveMaximum, dependencies", schema: ##"{"items": [{"type": "integer"}], "additionalItems": false, "properties": {"n": {"maximum": 5, "exclusiveMaximum": true}}, "dependencies": {"a": ["b"]}}"##, valid: ["[1]", ##"{"n": 4, "a": 1, "b": 2}"##], invalid: ["[1, 2]", ##"{"n": 5}"##, ##"{"a": 1}"##]),
        Case(name: "draft-07: $ref overrides its siblings", schema: ##"{"$schema": "http://json-schema.org/draft-07/schema##", "definitions": {"a": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a", "maximum": 0}}}"##, valid: [##"{"x": 5}"##], invalid: [##"{"x": "s"}"##]),
        Case(name: "draft-07: items array with additionalItems, dependencies, $id anchors", schema: ##"{"$schema": "http://json-schema.org/draft-07/schema##", "definitions": {"s": {"$id": "#str", "type": "string"}}, "items": [{"$ref": "#str"}], "additionalItems": {"type": "integer"}, "dependencies": {"a": {"required": ["b"]}}}"##, valid: ["[\"a\", 1]", ##"{"a": 1, "b": 1}"##], invalid: ["[1]", "[\"a\", \"b\"]", ##"{"a": 1}"##]),
        Case(name: "draft-07: unevaluatedProperties and prefixItems are unknown keywords", schema: ##"{"$schema": "http://json-schema.org/draft-07/schema##", "unevaluatedProperties": false, "prefixItems": [false]}"##, valid: [##"{"a": 1}"##, "[1]"], invalid: []),
        Case(name: "draft-07: content assertions", schema: ##"{"$schema": "http://json-schema.org/draft-07/schema##", "contentEncoding": "base64", "contentMediaType": "application/json"}"##, valid: ["\"eyJhIjogMX0=\""], invalid: ["\"e30%\"", "\"bm90IGpzb24=\""]),
        Case(name: "format is an annotation by default", schema: ##"{"format": "date"}"##, valid: ["\"not a date\""], invalid: []),
        Case(name: "strings compare by code point", schema: ##"{"const": "é"}"##, valid: ["\"\u{00e9}\""], invalid: ["\"e\u{0301}\""]),
        Case(name: "large integers compare exactly", schema: ##"{"maximum": 9007199254740993}"##, valid: ["9007199254740993"], invalid: ["9007199254740994"]),
    ]

    @Test("each keyword accepts what it should and refuses what it should", arguments: cases)
    func keyword(_ testCase: Case) throws {
        let schema = try JSONSchema(json: testCase.schema)
        for text in testCase.valid {
            let instance = try JSONParser.parse(text)
            #expect(schema.isValid(instance), "\(text) should be valid")
            #expect(schema.validate(instance).isEmpty, "\(text) should have no errors")
        }
        for text in testCase.invalid {
            let instance = try JSONParser.parse(text)
            #expect(!schema.isValid(instance), "\(text) should be invalid")
            #expect(!schema.validate(instance).isEmpty, "\(text) should have errors")
        }
    }

    @Test("remote references are resolved from the registry, relative to the referring document")
    func registry() throws {
        var registry = SchemaRegistry()
        registry.add(try JSONParser.parse(##"{"$defs": {"id": {"type": "string", "minLength": 3}}}"##), uri: "https://schemas.test/common.json")
        registry.add(try JSONParser.parse(##"{"$id": "https://schemas.test/nested/item.json", "properties": {"id": {"$ref": "../common.json#/$defs/id"}}}"##), uri: "https://schemas.test/nested/item.json")
        let schema = try JSONSchema(json: ##"{"items": {"$ref": "https://schemas.test/nested/item.json"}}"##, options: .init(registry: registry))
        #expect(schema.isValid(try JSONParser.parse(##"[{"id": "abc"}]"##)))
        let errors = schema.validate(try JSONParser.parse(##"[{"id": "ab"}]"##))
        #expect(errors.map(\.instanceLocation) == ["/0/id"])
        #expect(errors.map(\.keywordLocation) == ["/items/$ref/properties/id/$ref/minLength"])
        #expect(throws: SchemaError.self) { try JSONSchema(json: ##"{"$ref": "https://schemas.test/missing.json"}"##, options: .init(registry: registry)) }
    }

    @Test("the standard meta-schemas are built in: a schema can be validated as an instance")
    func metaschemas() throws {
        let metaschema = try JSONSchema(json: ##"{"$ref": "https://json-schema.org/draft/2020-12/schema"}"##)
        #expect(metaschema.isValid(try JSONParser.parse(##"{"type": "object", "properties": {"a": {"minLength": 1}}}"##)))
        let errors = metaschema.validate(try JSONParser.parse(##"{"properties": {"a": {"minLength": -1}}}"##))
        #expect(errors.contains { $0.instanceLocation == "/properties/a/minLength" && $0.keyword == "minimum" })
        let draft7 = try JSONSchema(json: ##"{"$ref": "http://json-schema.org/draft-07/schema#"}"##)
        #expect(!draft7.isValid(try JSONParser.parse(##"{"type": "strin"}"##)))
    }

    @Test("format assertion is opt-in")
    func formatAssertion() throws {
        let schema = try JSONSchema(json: ##"{"format": "ipv4"}"##, options: .init(assertsFormats: true))
        #expect(schema.isValid("192.168.0.1"))
        #expect(schema.validate("192.168.0.256").map(\.message) == ["is not a valid ipv4"])
        #expect(schema.isValid(12), "formats only apply to strings")
    }
}
