import JSON
/// The `format` values this library can assert. Formats apply to strings only; any other type is valid.
/// Unknown formats are annotations and never fail.
enum Format: String, Sendable, CaseIterable {
    case dateTime = "date-time"
    case date
    case time
    case duration
    case email
    case idnEmail = "idn-email"
    case hostname
    case idnHostname = "idn-hostname"
    case ipv4
    case ipv6
    case uri
    case uriReference = "uri-reference"
    case iri
    case iriReference = "iri-reference"
    case uriTemplate = "uri-template"
    case uuid
    case regex
    case jsonPointer = "json-pointer"
    case relativeJSONPointer = "relative-json-pointer"

    func accepts(_ value: JSONValue) -> Bool {
        guard case .string(let text) = value else { return true }
        return accepts(text)
    }

    func accepts(_ text: String) -> Bool {
        switch self {
        case .dateTime: DateTimeFormats.isDateTime(text)
        case .date: DateTimeFormats.isDate(text)
        case .time: DateTimeFormats.isTime(text)
        case .duration: DateTimeFormats.isDuration(text)
        case .email: NetworkFormats.isEmail(text, international: false)
        case .idnEmail: NetworkFormats.isEmail(text, international: true)
        case .hostname: NetworkFormats.isHostname(text, international: false)
        case .idnHostname: NetworkFormats.isHostname(text, international: true)
        case .ipv4: NetworkFormats.isIPv4(text)
        case .ipv6: NetworkFormats.isIPv6(text)
        case .uri: URIFormats.isURI(text, international: false)
        case .uriReference: URIFormats.isURIReference(text, international: false)
        case .iri: URIFormats.isURI(text, international: true)
        case .iriReference: URIFormats.isURIReference(text, international: true)
        case .uriTemplate: URIFormats.isURITemplate(text)
        case .uuid: Self.isUUID(text)
        case .regex: (try? ECMARegex(text)) != nil
        case .jsonPointer: Self.isJSONPointer(Substring(text))
        case .relativeJSONPointer: Self.isRelativeJSONPointer(text)
        }
    }

    private static func isUUID(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 36 else { return false }
        for (index, scalar) in scalars.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard scalar == "-" else { return false }
            } else if !scalar.isASCIIHexDigit {
                return false
            }
        }
        return true
    }

    private static func isJSONPointer(_ text: Substring) -> Bool {
        guard !text.isEmpty else { return true }
        guard text.hasPrefix("/") else { return false }
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            if scalar == "~" {
                guard let next = scalars.next(), next == "0" || next == "1" else { return false }
            }
        }
        return true
    }

    private static func isRelativeJSONPointer(_ text: String) -> Bool {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits == "0" || !digits.hasPrefix("0") else { return false }
        let rest = text.dropFirst(digits.count)
        return rest == "#" || isJSONPointer(rest)
    }
}
