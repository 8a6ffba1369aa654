import JSON

/// Rules for text that `afm` keeps in a database column. PostgreSQL's text cannot hold the NUL character, so a field
/// with one is refused as bad input on every engine alike, instead of failing in the database (a 500, and on
/// PostgreSQL the other requests batched into the same statement with it).
public enum TextField {
    /// Whether `text` can be kept as it is.
    public static func isStorable(_ text: some StringProtocol) -> Bool {
        !text.utf8.contains(0)
    }

    /// The first member name or string in `body` that holds a NUL character, as a path (`agent_capabilities`,
    /// `agent_location.region`), skipping the members in `documents`, which are kept as JSON text where the
    /// character stays escaped.
    public static func firstUnstorable(in body: JSONValue, documents: Set<String> = [], path: String = "") -> String? {
        switch body {
        case .string(let text):
            return isStorable(text) ? nil : (path.isEmpty ? "the value" : path)
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = firstUnstorable(in: element, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for (name, value) in members where !(path.isEmpty && documents.contains(name)) {
                let inner = path.isEmpty ? name : "\(path).\(name)"
                if !isStorable(name) { return inner }
                if let found = firstUnstorable(in: value, path: inner) { return found }
            }
            return nil
        case .null, .bool, .number:
            return nil
        }
    }

    /// The message for a field that holds a NUL character.
    public static func unstorableMessage(_ field: String) -> String {
        "\(field) contains the NUL character (\\u0000), which no text field may hold"
    }
}
