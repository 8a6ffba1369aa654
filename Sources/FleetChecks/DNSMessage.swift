/// DNS messages (RFC 1035) as `dns@1` needs them: one question out, the answer section back, names decompressed.
/// No DNS library is among the packages this project builds from, and the system resolver cannot ask a chosen
/// server, so the few record types a check asks for are read here.
enum DNSRecordType: String, CaseIterable, Sendable {
    case A, AAAA, CNAME, MX, TXT, NS, SOA

    var code: UInt16 {
        switch self {
        case .A: 1
        case .NS: 2
        case .CNAME: 5
        case .SOA: 6
        case .MX: 15
        case .TXT: 16
        case .AAAA: 28
        }
    }
}

struct DNSMessage: Sendable {
    struct Record: Sendable {
        let type: UInt16
        /// The record's data in presentation form (`192.0.2.1`, `10 mail.example.com.`, the text of a TXT).
        let text: String
    }

    static let rcodeNames = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]

    let id: UInt16
    let truncated: Bool
    let rcode: Int
    let answers: [Record]

    var rcodeName: String { rcode < Self.rcodeNames.count ? Self.rcodeNames[rcode] : "RCODE\(rcode)" }

    /// A query for `name` (recursion desired).
    static func query(id: UInt16, name: String, type: DNSRecordType) throws(CheckDataError) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let labels = name.split(separator: ".", omittingEmptySubsequences: true)
        guard !labels.isEmpty || name == "." else { throw CheckDataError("name must be a domain name") }
        for label in labels {
            let utf8 = Array(label.utf8)
            guard (1...63).contains(utf8.count) else { throw CheckDataError("name: the label \(label) is over 63 bytes") }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes.append(0)
        guard bytes.count - 12 <= 255 else { throw CheckDataError("name is over 255 bytes") }
        bytes += [UInt8(type.code >> 8), UInt8(type.code & 0xFF), 0, 1]
        return bytes
    }

    /// Reads a response; nil when it is not one a server could have sent.
    init?(parsing bytes: [UInt8]) {
        var reader = Reader(bytes: bytes)
        guard let id = reader.u16(), let flags = reader.u16(), flags & 0x8000 != 0, let questions = reader.u16(),
            let answerCount = reader.u16(), reader.u16() != nil, reader.u16() != nil
        else { return nil }
        self.id = id
        truncated = flags & 0x0200 != 0
        rcode = Int(flags & 0x000F)
        for _ in 0..<questions {
            guard reader.name() != nil, reader.u16() != nil, reader.u16() != nil else { return nil }
        }
        var answers: [Record] = []
        for _ in 0..<answerCount {
            guard reader.name() != nil, let type = reader.u16(), reader.u16() != nil, reader.u32() != nil,
                let length = reader.u16(), let end = Optional(reader.position + Int(length)), end <= bytes.count
            else {
                if truncated { break }
                return nil
            }
            if let text = reader.data(type: type, end: end) { answers.append(Record(type: type, text: text)) }
            reader.position = end
        }
        self.answers = answers
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func u8() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func u16() -> UInt16? {
            guard let high = u8(), let low = u8() else { return nil }
            return UInt16(high) << 8 | UInt16(low)
        }

        mutating func u32() -> UInt32? {
            guard let high = u16(), let low = u16() else { return nil }
            return UInt32(high) << 16 | UInt32(low)
        }

        /// A name, following compression pointers (at most 64 of them, so that a loop ends).
        mutating func name() -> String? {
            var labels: [String] = []
            var cursor = position
            var jumped = false
            for _ in 0..<128 {
                guard cursor < bytes.count else { return nil }
                let length = Int(bytes[cursor])
                if length == 0 {
                    if !jumped { position = cursor + 1 }
                    return labels.isEmpty ? "." : labels.joined(separator: ".") + "."
                }
                if length & 0xC0 == 0xC0 {
                    guard cursor + 1 < bytes.count else { return nil }
                    if !jumped { position = cursor + 2 }
                    jumped = true
                    cursor = (length & 0x3F) << 8 | Int(bytes[cursor + 1])
                    continue
                }
                guard cursor + 1 + length <= bytes.count else { return nil }
                labels.append(String(decoding: bytes[(cursor + 1)..<(cursor + 1 + length)], as: UTF8.self))
                cursor += 1 + length
            }
            return nil
        }

        mutating func data(type: UInt16, end: Int) -> String? {
            switch type {
            case 1:
                guard end - position == 4 else { return nil }
                return bytes[position..<end].map(String.init).joined(separator: ".")
            case 28:
                guard end - position == 16 else { return nil }
                return IPv6Text.compressed(Array(bytes[position..<end]))
            case 2, 5:
                return name()
            case 15:
                guard let preference = u16(), let exchange = name() else { return nil }
                return "\(preference) \(exchange)"
            case 16:
                var text = ""
                while position < end, let length = u8() {
                    guard position + Int(length) <= end else { return nil }
                    text += String(decoding: bytes[position..<(position + Int(length))], as: UTF8.self)
                    position += Int(length)
                }
                return text
            case 6:
                guard let primary = name(), let mailbox = name(), let serial = u32(), let refresh = u32(), let retry = u32(),
                    let expire = u32(), let minimum = u32()
                else { return nil }
                return "\(primary) \(mailbox) \(serial) \(refresh) \(retry) \(expire) \(minimum)"
            default:
                return nil
            }
        }
    }
}

/// IPv6 addresses as RFC 5952 writes them: lower case, the longest run of zero groups (two or more) as `::`.
enum IPv6Text {
    static func compressed(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var best: (start: Int, length: Int) = (-1, 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > best.length { best = (index, end - index) }
            index = end
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return text.joined(separator: ":") }
        let head = text[..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}
