import AsyncHTTPClient
import Foundation
import JSONSchema
import NIOCore
import NIOHTTP1

/// Protocol-1 calls to an AFM: the poll and the result upload, with their answers sorted into what the agent does
/// next (go on, retry later, or give up on that request).
public struct AFMClient: Sendable {
    public struct ReceivedTask: Sendable, Equatable {
        public let id: String
        public let type: String
        public let version: Int
        public let data: JSONValue
    }

    public struct PollAnswer: Sendable {
        public let tasks: [ReceivedTask]
        /// When the AFM wants the next poll; nil when it did not say in a form we read.
        public let returnTime: Date?
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// Connection errors, timeouts, 5xx, unreadable answers: try again later.
        case temporary(String)
        /// A 4xx: the AFM refuses this request as it is.
        case refused(status: Int, message: String)

        public var description: String {
            switch self {
            case .temporary(let reason): reason
            case .refused(let status, let message): "HTTP \(status): \(message)"
            }
        }
    }

    let baseURL: String
    let client: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String, client: HTTPClient, timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.timeout = .seconds(timeout.components.seconds)
    }

    public func poll(_ body: [UInt8]) async throws(Failure) -> PollAnswer {
        let answer = try await post("/tasks", body)
        guard case .object(let members)? = try? JSONParser.parse(answer),
            case .array(let tasks)? = members["tasks"]
        else {
            throw .temporary("the poll answer is not a protocol-1 task list")
        }
        var received: [ReceivedTask] = []
        for task in tasks {
            guard case .string(let id)? = task["task_id"], case .string(let type)? = task["task_type"],
                case .number(let version)? = task["task_version"], let exactVersion = version.int64Value
            else {
                throw .temporary("the poll answer holds a malformed task: \(task)")
            }
            let data = task["task_data"] ?? [:]
            received.append(ReceivedTask(id: id, type: type, version: Int(exactVersion), data: data == .null ? [:] : data))
        }
        return PollAnswer(tasks: received, returnTime: members["return_time"]?.stringValue.flatMap(ReturnTime.parse))
    }

    public func postResult(_ result: PendingResult) async throws(Failure) {
        _ = try await post("/tasks/response", result.body)
    }

    private func post(_ path: String, _ body: [UInt8]) async throws(Failure) -> [UInt8] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        // The original AFM reads a body as JSON only when it is declared so.
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let answer: [UInt8]
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = Int(response.status.code)
            answer = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw .temporary("cannot reach \(baseURL)\(path): \(error)")
        }
        switch status {
        case 200..<300: return answer
        case 400..<500: throw .refused(status: status, message: Self.summary(answer))
        default: throw .temporary("\(baseURL)\(path) answered HTTP \(status): \(Self.summary(answer))")
        }
    }

    /// The error text of a JSON error body, or the first line of any other body.
    private static func summary(_ body: [UInt8]) -> String {
        if case .string(let message)? = (try? JSONParser.parse(body))?["error"] { return message }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "(empty body)"
    }
}

/// `return_time` as AFMs write it: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of any length, then `Z`, an offset
/// (`+02:00`, `+0200`) or nothing (UTC).
enum ReturnTime {
    static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= s.count else { return nil }
            var value = 0
            for byte in s[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard s.count >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
            s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: " "), s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < s.count, s[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < s.count, s[index] >= 48, s[index] <= 57 {
                fraction += Double(s[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < s.count {
            switch s[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = s[index] == UInt8(ascii: "+") ? 1 : -1
                guard let offsetHour = number((index + 1)..<(index + 3)) else { return nil }
                var minutesStart = index + 3
                if minutesStart < s.count, s[minutesStart] == UInt8(ascii: ":") { minutesStart += 1 }
                guard let offsetMinute = number(minutesStart..<(minutesStart + 2)) else { return nil }
                offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
                index = minutesStart + 2
            default:
                return nil
            }
        }
        guard index == s.count else { return nil }
        // Days since 1970-01-01 in the proleptic Gregorian calendar.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
