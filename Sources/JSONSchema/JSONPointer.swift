/// Builds RFC 6901 JSON Pointers (`/task_data/url`, `/items/0`) from path components.
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
        guard component.contains("~") || component.contains("/") else { return component }
        return component.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
