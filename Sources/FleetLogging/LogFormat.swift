import JSON
import Logging

/// How a log line is written (`LOG_FORMAT`): logfmt (`time=… level=info logger=afm msg="task created" task_id=…`),
/// where a value with a space, a quote, `=`, a control character or nothing at all is quoted with `\"`, `\\`, `\n`,
/// `\r` and `\t` escaped; or one JSON object per line with the same members. Both read by the usual tools (Loki,
/// Vector, `jq`) without a pattern of their own.
public enum LogFormat: String, Sendable, CaseIterable {
    case logfmt
    case json

    /// The format a `LOG_FORMAT` value names (default logfmt); a value it does not know is an error naming the key.
    public static func named(_ value: String?) throws(LineLogHandler.FileError) -> LogFormat {
        guard let value, !value.isEmpty else { return .logfmt }
        guard let format = LogFormat(rawValue: value.lowercased()) else {
            throw LineLogHandler.FileError(description: "LOG_FORMAT: '\(value)' is not logfmt or json")
        }
        return format
    }

    /// The line for one event, without its newline.
    func line(time: Timestamp, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        switch self {
        case .logfmt:
            var line = "time=\(time.iso8601Text) level=\(level) logger=\(Self.logfmtValue(label)) msg=\(Self.logfmtValue(message))"
            for key in metadata.keys.sorted() where !Self.reserved.contains(key) {
                line += " \(Self.logfmtKey(key))=\(Self.logfmtValue("\(metadata[key]!)"))"
            }
            return line
        case .json:
            var members: [String: JSONValue] = [
                "time": .string(time.iso8601Text), "level": .string("\(level)"), "logger": .string(label), "msg": .string(message),
            ]
            for (key, value) in metadata where !Self.reserved.contains(key) { members[key] = Self.json(value) }
            return JSONWriter.string(from: .object(members))
        }
    }

    /// The names the line itself uses; metadata of the same name would make a second member.
    private static let reserved: Set<String> = ["time", "level", "logger", "msg"]

    static func logfmtValue(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
        guard needsQuotes else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    quoted += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    /// A key is a run of letters, digits and `_ . - /`; anything else becomes `_`.
    static func logfmtKey(_ key: String) -> String {
        let cleaned = String(String.UnicodeScalarView(key.unicodeScalars.map { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-/".unicodeScalars.contains(scalar) ? scalar : "_"
        }))
        return cleaned.isEmpty ? "_" : cleaned
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value): .string(value.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
