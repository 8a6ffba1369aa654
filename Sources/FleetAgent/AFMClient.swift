import AsyncHTTPClient
import FleetWire
import Foundation
import JSON
import NIOCore
import NIOHTTP1

/// Protocol-1 calls to an AFM: the poll and the result upload, with their answers sorted into what the agent does
/// next (go on, retry later, or give up on that request).
public struct AFMClient: AFMConnection {
    public struct PollAnswer: Sendable {
        public let tasks: [PollAnswerBody.AssignedTask]
        /// When the AFM wants the next poll; nil when it did not say in a form we read.
        public let returnTime: Date?
        /// The AFM held the poll as asked (`Preference-Applied: wait`): it may be sent again at once. An AFM that
        /// does not hold polls (the original) leaves the agent to its return time.
        public let held: Bool

        public init(tasks: [PollAnswerBody.AssignedTask], returnTime: Date?, held: Bool = false) {
            self.tasks = tasks
            self.returnTime = returnTime
            self.held = held
        }
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
    /// Sent with results as `AFM-Agent-ID`, so that an AFM that handed the task to another agent refuses it.
    let agentID: UUID?
    /// Sent as `Authorization: Bearer …` when the AFM requires agent tokens.
    let token: String?

    public init(baseURL: String, client: HTTPClient, timeout: Duration = .seconds(30), agentID: UUID? = nil, token: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.timeout = .seconds(timeout.components.seconds)
        self.agentID = agentID
        self.token = token
    }

    public func poll(_ body: [UInt8], wait: Int?) async throws(Failure) -> PollAnswer {
        var headers: [(String, String)] = []
        var timeout = self.timeout
        if let wait, wait > 0 {
            headers.append(("Prefer", "wait=\(wait)"))
            // The AFM answers by the end of the wait; the usual timeout then covers the answer's way back.
            timeout = timeout + .seconds(Int64(wait))
        }
        let (answer, answerHeaders) = try await post("/tasks", body, headers: headers, timeout: timeout)
        let held = answerHeaders["Preference-Applied"].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("wait") }
        }
        let body: PollAnswerBody
        do { body = try PollAnswerBody(json: answer) } catch { throw .temporary(error.description) }
        return PollAnswer(tasks: body.tasks, returnTime: ReturnTime.parse(body.returnTime), held: held)
    }

    public func postResult(_ result: PendingResult) async throws(Failure) {
        _ = try await post("/tasks/response", result.body, timeout: timeout)
    }

    /// Registers the JSON Schemas of a task type this agent runs (`PUT /v2/task-types/{type}/{version}`), so that
    /// the AFM refuses bad task data when it is created.
    public func putTaskType(_ type: String, version: Int, taskSchema: JSONValue, resultSchema: JSONValue) async throws(Failure) {
        let body = TaskTypeBody(taskSchema: taskSchema, resultSchema: resultSchema).encoded()
        _ = try await post("/v2/task-types/\(type)/\(version)", body, timeout: timeout, method: .PUT)
    }

    private func post(
        _ path: String, _ body: [UInt8], headers extra: [(String, String)] = [], timeout: TimeAmount, method: HTTPMethod = .POST
    ) async throws(Failure) -> ([UInt8], HTTPHeaders) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        // The original AFM reads a body as JSON only when it is declared so.
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let agentID, path == "/tasks/response" { request.headers.add(name: "AFM-Agent-ID", value: agentID.uuidString.lowercased()) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let answer: [UInt8]
        let headers: HTTPHeaders
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = Int(response.status.code)
            headers = response.headers
            answer = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw .temporary("cannot reach \(baseURL)\(path): \(error)")
        }
        switch status {
        case 200..<300: return (answer, headers)
        case 400..<500: throw .refused(status: status, message: Self.summary(answer))
        default: throw .temporary("\(baseURL)\(path) answered HTTP \(status): \(Self.summary(answer))")
        }
    }

    /// The error text of a JSON error body (protocol 1's `error`, a problem's `detail` on `/v2`), or the first line
    /// of any other body.
    private static func summary(_ body: [UInt8]) -> String {
        let parsed = try? JSONParser.parse(body)
        if case .string(let message)? = parsed?["error"] ?? parsed?["detail"] { return message }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "(empty body)"
    }
}

/// `return_time` as AFMs write it (see `Timestamp(iso8601:)`): with or without fraction and zone.
enum ReturnTime {
    static func parse(_ text: String) -> Date? {
        Timestamp(iso8601: text).map { Date(timeIntervalSince1970: Double($0.microsecondsSinceEpoch) / 1_000_000) }
    }
}
