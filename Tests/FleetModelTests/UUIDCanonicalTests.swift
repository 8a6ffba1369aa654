import Foundation
import JSON
import Testing

/// Ids read and written without the C library must agree with Foundation's own reading and writing.
@Suite("UUID canonical text")
struct UUIDCanonicalTests {
    @Test("the canonical text is Foundation's uuidString in lower case, for random ids and the extremes")
    func writes() {
        var ids = (0..<1000).map { _ in UUID() }
        ids.append(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        ids.append(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        ids.append(UUID(uuid: (0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xF0, 0x0F, 0x10, 0x9A, 0xA9, 0x5C, 0xC5, 0x7E)))
        for id in ids {
            #expect(id.canonical == id.uuidString.lowercased())
        }
    }

    @Test("reading gives back the same id from lower-case, upper-case and mixed text")
    func readsBack() {
        for _ in 0..<1000 {
            let id = UUID()
            #expect(UUID(canonicalText: id.canonical) == id)
            #expect(UUID(canonicalText: id.uuidString) == id)
        }
        #expect(UUID(canonicalText: "0123abCD-ef01-2345-6789-ABCDEFabcdef") == UUID(uuidString: "0123ABCD-EF01-2345-6789-ABCDEFABCDEF"))
    }

    @Test("anything but 8-4-4-4-12 hexadecimal digits is refused", arguments: [
        "", "0123abcd-ef01-2345-6789-abcdefabcde", "0123abcd-ef01-2345-6789-abcdefabcdef0", "0123abcdef01-2345-6789-abcdefabcdef",
        "0123abcd-ef01-2345-6789_abcdefabcdef", "0123abcg-ef01-2345-6789-abcdefabcdef", " 0123abcd-ef01-2345-6789-abcdefabcdef",
        "0123abcd-ef01-2345-6789-abcdefabcdef\n", "{0123abcd-ef01-2345-6789-abcdefabcdef}", "0123abcd-ef01-2345-6789-abcdefabcd-f",
        "urn:uuid:0123abcd-ef01-2345-6789-abcdefabcdef", "0123abcd-ef01-2345-6789-abcdefabcdéf", "+123abcd-ef01-2345-6789-abcdefabcdef",
    ])
    func refuses(text: String) {
        #expect(UUID(canonicalText: text) == nil)
    }
}
