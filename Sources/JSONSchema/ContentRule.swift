import Foundation
import JSON

/// Draft-07's `contentEncoding` (base64) and `contentMediaType` (application/json) as assertions on strings.
/// Draft 2019-09 and later make them annotations only, so only draft-07 schemas compile them.
struct ContentRule: Sendable {
    var base64: Bool
    var json: Bool

    init?(encoding: String?, mediaType: String?) {
        base64 = encoding?.lowercased() == "base64"
        json = mediaType?.lowercased().split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/json"
        if !base64 && !json { return nil }
    }

    /// Nil when the string is acceptable, else the keyword it violates and why.
    func violation(_ string: String) -> (keyword: String, message: String)? {
        var bytes = Array(string.utf8)
        if base64 {
            guard let decoded = Data(base64Encoded: string) else { return ("contentEncoding", "is not valid base64") }
            bytes = Array(decoded)
        }
        if json, (try? JSONParser.parse(bytes)) == nil { return ("contentMediaType", "is not a JSON document") }
        return nil
    }
}
