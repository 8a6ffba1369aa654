import JSON
import Testing

@Suite("JSON parser and writer")
struct JSONParserTests {
    @Test("parses every kind of value")
    func parsesValues() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#)
        #expect(value == ["a": [1, -2500.0, true, false, nil, "x\né😀"], "b": [:]])
    }

    @Test("integers stay exact, 1.0 equals 1, and huge integers fall back to doubles")
    func numbers() throws {
        #expect(try JSONParser.parse("9007199254740993") == .number(.integer(9_007_199_254_740_993)))
        #expect(try JSONParser.parse("1.0") == 1)
        #expect(try JSONParser.parse("1.0").typeName == "integer")
        #expect(try JSONParser.parse("1.5").typeName == "number")
        #expect(try JSONParser.parse("123456789012345678901234567890") == .number(.double(1.2345678901234568e29)))
        // The 64-bit bounds are exact; one beyond is not a 64-bit integer, though its Double is -2^63 itself.
        #expect(try JSONParser.parse("-9223372036854775808").numberValue?.int64Value == Int64.min)
        #expect(try JSONParser.parse("9223372036854775807").numberValue?.int64Value == Int64.max)
        #expect(try JSONParser.parse("-9223372036854775809").numberValue?.int64Value == nil)
        #expect(try JSONParser.parse("9223372036854775808").numberValue?.int64Value == nil)
    }

    @Test("a number is written back as it was sent, whatever a Double would make of it", arguments: [
        "123456789012345678901234567890", "0.1000000000000000055511151231257827", "-0", "-0.0", "1E5", "1e-7",
        "2.50", "-9223372036854775809", "0.1", "-2.5", "1.0", "17",
    ])
    func numbersRoundTrip(text: String) throws {
        let document = "[\(text),{\"n\":\(text)}]"
        #expect(String(decoding: JSONWriter.bytes(from: try JSONParser.parse(document)), as: UTF8.self) == document)
    }

    @Test("refuses what RFC 8259 refuses", arguments: [
        "", "  ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "NaN", "Infinity", "'x'", "{a:1}", "\"\\x\"",
        "\"\\ud800\"", "\"\\udc00x\"", "\"tab\there\"", "[1] 2", "tru", "nul", "1e", "-", "1e999",
    ])
    func refusesMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test("nesting beyond the limit is an error, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let allowed = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect((try? JSONParser.parse(allowed)) != nil)
    }

    @Test("errors say where the document stops making sense")
    func errorOffsets() {
        do {
            _ = try JSONParser.parse(#"{"a": tru}"#)
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 6)
            #expect(error.description.contains("byte 6"))
        }
    }

    @Test("the writer escapes what JSON requires and sorts keys, and round-trips")
    func writer() throws {
        let value: JSONValue = ["b": "quote\" backslash\\ newline\n control\u{01}", "a": [1, 2.5, nil, true], "é": [:]]
        let text = JSONWriter.string(from: value)
        #expect(text == #"{"a":[1,2.5,null,true],"b":"quote\" backslash\\ newline\n control\u0001","é":{}}"#)
        #expect(try JSONParser.parse(text) == value)
    }
}
