import Foundation

/// RFC 6901 JSON Pointers (`/task_data/url`, `/items/0`): building them from components, and their escapes.
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
}
