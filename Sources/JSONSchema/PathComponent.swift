/// One step of an instance or keyword path, rendered to a JSON Pointer only when an error needs it.
enum PathComponent {
    case key(String)
    case index(Int)

    static func render(_ components: [PathComponent]) -> String {
        var pointer = ""
        for component in components {
            pointer.append("/")
            switch component {
            case .key(let key): pointer.append(JSONPointer.escape(key))
            case .index(let index): pointer.append(String(index))
            }
        }
        return pointer
    }
}
