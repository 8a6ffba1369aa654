import JSONSchema
import Testing

@Suite("format assertion")
struct FormatTests {
    static let examples: [(format: String, valid: [String], invalid: [String])] = [
        ("date-time", ["2026-11-23T15:42:00Z", "2026-11-23t15:42:00.5+02:00", "2016-12-31T23:59:60Z"],
         ["2026-11-23 15:42:00Z", "2026-02-29T00:00:00Z", "2026-11-23T15:42:00", "2016-12-31T22:59:60Z"]),
        ("date", ["2024-02-29", "2026-12-31"], ["2026-02-29", "2026-13-01", "2026-1-01", "२०२६-01-01"]),
        ("time", ["08:30:06Z", "23:59:60+00:00", "15:59:60-08:00"], ["08:30:06", "24:00:00Z", "08:30:06+24:00"]),
        ("duration", ["P4DT12H30M5S", "P2W", "PT36H", "P1M2D"], ["P", "PT", "P1Y2W", "PT1H2S", "P0.5D", "1D"]),
        ("email", ["joe.bloggs@example.com", "\"joe bloggs\"@example.com", "a@[IPv6:::1]"], ["joe..bloggs@example.com", ".a@example.com", "a@", "a@b_c.com"]),
        ("idn-email", ["실례@실례.테스트", "δοκιμή@example.com"], ["2962", "user＠example.com"]),
        ("hostname", ["www.example.com", "xn--9n2bp8q.xn--9t4b11yi5a", "a--b.com"], ["-a.com", "a_b.com", "example.", "xn--X", String(repeating: "a", count: 64) + ".com"]),
        ("idn-hostname", ["실례.테스트", "xn--ll-0ea"], ["〮실례.테스트", "xn--l-fda"]),
        ("ipv4", ["192.168.0.1", "0.0.0.0"], ["256.1.1.1", "01.1.1.1", "1.1.1", "1.1.1.1.1"]),
        ("ipv6", ["::1", "1:2:3:4:5:6:7:8", "::ffff:192.168.0.1", "d6::"], ["1::2::3", "12345::", "1:2:3:4:5:6:7", "fe80::a%eth1", ":2:3:4:5:6:7:8"]),
        ("uri", ["http://foo.bar/?baz=qux#quux", "urn:oasis:names:specification", "ldap://[2001:db8::7]/c=GB"], ["/abc", "http:// a.com", "http://example.com/%6G", "1http://x"]),
        ("uri-reference", ["/abc", "#fragment", "", "./this:that"], ["\\\\WINDOWS", "1:b", "/%zz"]),
        ("iri", ["http://ƒøø.ßår/?∂éœ=πîx#πîüx"], ["/abc", "http://ƒøø.ßår/\n"]),
        ("iri-reference", ["//ƒøø.ßår/", "#ƒrägmênt"], ["#frag\\ment"]),
        ("uri-template", ["http://example.com/{term:1}/{term}", "{+var}", ""], ["{}", "{a,,b}", "foo}bar", "{v:0}"]),
        ("uuid", ["2eb8aa08-aa98-11ea-b4aa-73b441d16380", "2EB8AA08-AA98-11EA-B4AA-73B441D16380"], ["2eb8aa08-aa98-11ea-b4aa-73b441d1638", "2eb8aa08aa9811eab4aa73b441d16380"]),
        ("regex", ["^[a-z]+$", "(?<name>x)\\k<name>", "[]"], ["^(abc]", "\\a", "(?i)abc", "(?P<n>x)", "a**"]),
        ("json-pointer", ["", "/foo/0", "/a~1b/~0"], ["foo", "/~2", "/~"]),
        ("relative-json-pointer", ["0", "1/foo", "0#"], ["-1", "01", "/foo"]),
    ]

    @Test("each asserted format accepts valid strings and refuses invalid ones", arguments: examples.map(\.format))
    func format(_ name: String) throws {
        let example = try #require(Self.examples.first { $0.format == name })
        let schema = try JSONSchema(["format": .string(name)], options: .init(assertsFormats: true))
        for text in example.valid {
            #expect(schema.isValid(.string(text)), "\(name): \(text) should be valid")
        }
        for text in example.invalid {
            #expect(!schema.isValid(.string(text)), "\(name): \(text) should be invalid")
        }
    }

    @Test("unknown formats are annotations even when formats are asserted")
    func unknownFormat() throws {
        let schema = try JSONSchema(["format": "x-custom"], options: .init(assertsFormats: true))
        #expect(schema.isValid("anything"))
    }
}
