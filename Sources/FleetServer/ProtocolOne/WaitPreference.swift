import HTTPTypes

/// The `wait` preference of a request's `Prefer` headers (RFC 7240): seconds the client is willing to wait for an
/// answer. Preferences are a comma-separated list of `token[=word]` with `;`-separated parameters; only the first
/// `wait` counts, and one whose value is not a number of seconds is ignored, as RFC 7240 asks of a preference a
/// server does not understand.
enum WaitPreference {
    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!

    /// The seconds asked for, nil when no `wait` preference is given or it cannot be read.
    static func seconds(in headers: HTTPFields) -> Int? {
        for value in headers[values: prefer] {
            for preference in splitOutsideQuotes(value, at: ",") {
                let head = splitOutsideQuotes(preference, at: ";").first ?? ""
                let parts = head.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard parts.first?.lowercased() == "wait" else { continue }
                guard parts.count == 2 else { return nil }
                var word = parts[1]
                if word.count >= 2, word.hasPrefix("\""), word.hasSuffix("\"") { word = String(word.dropFirst().dropLast()) }
                guard !word.isEmpty, word.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
                // Delta-seconds past any sensible cap read as the largest.
                return Int(word) ?? Int.max
            }
        }
        return nil
    }

    /// `text` cut at `separator`, except inside a quoted string.
    private static func splitOutsideQuotes(_ text: String, at separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == separator && !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
