import JSON
import JSONSchema
import Testing

/// Draft 2019-09's `$recursiveRef`/`$recursiveAnchor`, and schemas that name the draft-06 and draft-04 meta-schemas
/// or use draft-04's `id`. (The official suite beside the repository holds 2020-12 and draft-07 only.)
@Suite("JSON Schema 2019-09, draft-06 and draft-04")
struct OlderDialectTests {
    func valid(_ schema: String, _ instance: JSONValue) throws -> Bool {
        try JSONSchema(json: schema).validate(instance).isEmpty
    }

    /// A tree whose nodes are checked by whichever schema, base or extended, the validation started from.
    static let tree = #"""
        {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/tree",
         "$recursiveAnchor": true, "type": "object",
         "properties": {"name": {"type": "string"}, "kids": {"type": "array", "items": {"$recursiveRef": "#"}}}}
        """#

    @Test("$recursiveRef follows the outermost $recursiveAnchor of the dynamic scope")
    func recursiveExtension() throws {
        let strict = #"""
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/strict",
             "$recursiveAnchor": true, "$defs": {"tree": \#(Self.tree)},
             "$ref": "tree", "unevaluatedProperties": false}
            """#
        let extra: JSONValue = ["name": "a", "kids": [["name": "b", "extra": 1]]]
        let plain: JSONValue = ["name": "a", "kids": [["name": "b", "kids": [["name": "c"]]]]]
        // From the tree alone, any member is allowed; from the strict extension, nodes at every depth are closed.
        #expect(try valid(Self.tree, extra))
        #expect(try !valid(strict, extra))
        #expect(try valid(strict, plain))
        #expect(try !valid(strict, ["name": "a", "kids": [["name": "b", "kids": [["name": "c", "extra": true]]]]]))
    }

    @Test("$recursiveRef to a schema without $recursiveAnchor: true is a plain $ref")
    func recursiveRefWithoutAnchor() throws {
        for anchor in ["", #""$recursiveAnchor": false,"#] {
            let base = #"""
                {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/base", \#(anchor)
                 "type": "object", "properties": {"kids": {"type": "array", "items": {"$recursiveRef": "#"}}}}
                """#
            let outer = #"""
                {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/outer",
                 "$recursiveAnchor": true, "$defs": {"base": \#(base)}, "$ref": "base", "unevaluatedProperties": false}
                """#
            // The nested node is checked by the base only, so its extra member is allowed.
            #expect(try valid(outer, ["kids": [["extra": 1]]]))
            #expect(try !valid(outer, ["kids": [["extra": 1]], "extra": 1]))
            #expect(try !valid(outer, ["kids": [5]]))
        }
    }

    @Test("unevaluatedProperties and unevaluatedItems see what was evaluated through $recursiveRef")
    func unevaluatedThroughRecursiveRef() throws {
        let node = #"""
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/node",
             "$recursiveAnchor": true, "type": "object",
             "properties": {"value": {"type": "integer"}, "next": {"$ref": "#/$defs/link"}},
             "$defs": {"link": {"anyOf": [{"type": "null"}, {"$recursiveRef": "#", "unevaluatedProperties": false}]}}}
            """#
        #expect(try valid(node, ["value": 1, "next": ["value": 2, "next": nil]]))
        #expect(try !valid(node, ["value": 1, "next": ["value": 2, "other": 3]]))
        let list = #"""
            {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": "https://example.com/list",
             "$recursiveAnchor": true, "type": "array", "items": [{"type": "integer"}],
             "additionalItems": {"anyOf": [{"type": "null"}, {"$recursiveRef": "#", "unevaluatedItems": false}]}}
            """#
        #expect(try valid(list, [1, [2, nil]]))
        #expect(try valid(list, [1, [2]]))
        #expect(try !valid(list, [1, ["x"]]))
    }

    @Test("a $ref to the draft-06 or draft-04 meta-schema validates schemas of that draft")
    func olderMetaschemas() throws {
        let draft6 = #"{"$ref": "http://json-schema.org/draft-06/schema#"}"#
        #expect(try valid(draft6, ["type": "string", "exclusiveMinimum": 1, "contains": ["type": "integer"]]))
        #expect(try !valid(draft6, ["type": 5]))
        #expect(try !valid(draft6, ["minLength": -1]))
        #expect(try !valid(draft6, ["exclusiveMinimum": true]))
        let draft4 = #"{"$ref": "http://json-schema.org/draft-04/schema#"}"#
        #expect(try valid(draft4, ["minimum": 1, "exclusiveMinimum": true, "id": "http://example.com/x"]))
        #expect(try !valid(draft4, ["exclusiveMinimum": true]))
        #expect(try !valid(draft4, ["exclusiveMinimum": 1, "minimum": 0]))
        #expect(try !valid(draft4, ["required": []]))
        // Either meta-schema named by $schema.
        #expect(try valid(#"{"$schema": "http://json-schema.org/draft-04/schema#", "$ref": "http://json-schema.org/draft-04/schema#"}"#, ["type": "object"]))
    }

    @Test("draft-04's id sets the base URI and names fragments; $id does not")
    func draft4ID() throws {
        let schema = #"""
            {"$schema": "http://json-schema.org/draft-04/schema#", "id": "http://example.com/root.json",
             "definitions": {
                "count": {"id": "#count", "type": "integer"},
                "other": {"id": "other.json", "definitions": {"name": {"type": "string"}}}},
             "properties": {"p": {"$ref": "#count"}, "q": {"$ref": "other.json#/definitions/name"}}}
            """#
        #expect(try valid(schema, ["p": 1, "q": "x"]))
        #expect(try !valid(schema, ["p": "1"]))
        #expect(try !valid(schema, ["q": 1]))
        // Under draft-04, $id is an unknown keyword: it names nothing.
        #expect(throws: (any Error).self) {
            _ = try JSONSchema(json: #"""
                {"$schema": "http://json-schema.org/draft-04/schema#", "definitions": {"a": {"$id": "#a", "type": "integer"}},
                 "properties": {"p": {"$ref": "#a"}}}
                """#)
        }
    }
}
