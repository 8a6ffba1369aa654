import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` body, as the console's login and logout forms send them.
enum ConsoleForm {
    static let limit = 4096

    static func fields(of request: inout Request) async throws -> [String: String] {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw APIError(.contentTooLarge, "a form of \(declared) bytes is larger than the limit of \(limit) bytes")
        }
        let buffer = try await request.collectBody(upTo: limit)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { continue }
            fields[name] = parts.count == 2 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// `+` as space and `%XX` escapes; nil for a malformed escape.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
