import Foundation
import JSON

/// RFC 6901 JSON Pointers (`/task_data/url`, `/items/0`): building them from components, their escapes, and the
/// value they point at.
public enum JSONPointer {
    public static func render(_ components: [String]) -> String {
        var pointer = ""
        for component in components {
            pointer.append("/")
            pointer.append(escape(component))
        }
        return pointer
    }

    public static func escape(_ component: String) -> String {
        guard component.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return component }
        return component.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public static func unescape(_ token: String) -> String {
        guard token.utf8.contains(UInt8(ascii: "~")) else { return token }
        return token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    /// The value at `components` (unescaped tokens) in `document`; nil when there is none. An array index is a
    /// decimal without leading zeros.
    public static func value(at components: some Sequence<String>, in document: JSONValue) -> JSONValue? {
        var current = document
        for component in components {
            switch current {
            case .object(let members):
                guard let next = members[component] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(component), index >= 0, index < elements.count, component == String(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The value `pointer` (`""` or `/…`) points at in `document`.
    public static func value(at pointer: String, in document: JSONValue) -> JSONValue? {
        guard pointer.hasPrefix("/") else { return pointer.isEmpty ? document : nil }
        return value(at: pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { unescape(String($0)) }, in: document)
    }
}
