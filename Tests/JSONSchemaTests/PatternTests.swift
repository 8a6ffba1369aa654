import Foundation
@testable import JSONSchema
import Testing

@Suite("ECMA-262 patterns")
struct PatternTests {
    func matches(_ pattern: String, _ text: String) throws -> Bool {
        try JSONSchema(["pattern": .string(pattern)]).isValid(.string(text))
    }

    @Test("class escapes and anchors have ECMA-262 meaning, not ICU's")
    func ecmaSemantics() throws {
        #expect(try !matches("^\\d$", "߀"), "\\d is ASCII only")
        #expect(try !matches("^\\w$", "é"), "\\w is ASCII only")
        #expect(try matches("^\\s$", "\u{FEFF}"), "\\s includes the BOM")
        #expect(try !matches("^\\s$", "\u{85}"), "\\s excludes NEL")
        #expect(try !matches("^abc$", "abc\n"), "$ does not match before a final newline")
        #expect(try matches("^\\p{Letter}+$", "éé"))
        #expect(try matches("^\\cC$", "\u{3}"))
        #expect(try matches("^[\\w-]+$", "a-b_c"))
        #expect(try matches("\\bfoo\\b", "a foo b"))
        #expect(try matches("\\bfoo\\b", "éfooé"), "é is not a word character, so \\b sits between é and f")
        #expect(try matches("^🐲*$", "🐲🐲"))
        #expect(try !matches("[]", "a"), "[] matches nothing")
        #expect(try matches("^[^]$", "\n"), "[^] matches anything")
        #expect(try matches("^[[]$", "["), "[ inside a class is a literal")
    }

    @Test("syntax outside ECMA-262 is refused at compile time")
    func invalidSyntax() {
        for pattern in ["\\a", "(?i)abc", "(?P<n>x)", "a**", "(", "[b-a]", "a{2,1}", "\\k<missing>", "(?<n>a)(?<n>b)"] {
            #expect(throws: SchemaError.self, "\(pattern)") { try JSONSchema(["pattern": .string(pattern)]) }
        }
    }

    /// The linear-time matcher and ICU (running the ECMA translation) must agree on every pattern the linear-time
    /// matcher accepts.
    @Test("the linear-time matcher agrees with ICU")
    func differential() throws {
        let patterns = [
            "^[a-f0-9]{8}-[a-f0-9]{4}$", "^.+$", "^[a-z][a-z0-9_-]{0,5}$", "a*ab", "^a?a?a?aaa$", "b+$", "^\\d{2,}x",
            "[^a-c]z", "^\\s*\\S+\\s*$", "x.y", "^$", "ab?c", "^[\\w.]+@[\\w.]+$", "\\.txt$", "^[A-Z]{2}\\d*$",
        ]
        let alphabet: [Character] = ["a", "b", "c", "x", "y", "z", "0", "9", "-", "_", ".", " ", "\n", "@", "A", "é"]
        var generator = SeededGenerator(seed: 42)
        for pattern in patterns {
            #expect(SimplePattern(pattern) != nil, "\(pattern) should use the linear-time matcher")
            let icu = try NSRegularExpression(pattern: try ECMARegex(pattern).icuPattern)
            let schema = try JSONSchema(["pattern": .string(pattern)])
            for _ in 0..<300 {
                let length = Int.random(in: 0...10, using: &generator)
                let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
                let expected = icu.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                #expect(schema.isValid(.string(text)) == expected, "\(pattern) on \(text.debugDescription)")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64), so the differential test is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
