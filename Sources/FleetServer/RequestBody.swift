import Hummingbird
import JSON

extension Request {
    /// Reads the whole body (refusing more than `limit` bytes with 413) and parses it as JSON.
    ///
    /// The content type is not checked: SLAMon clients always send JSON, and tools like curl often forget the header.
    mutating func jsonBody(limit: Int) async throws -> JSONValue {
        if let declared = headers[.contentLength].flatMap(Int.init), declared > limit {
            throw APIError(.contentTooLarge, "request body of \(declared) bytes is larger than the limit of \(limit) bytes")
        }
        let buffer = try await collectBody(upTo: limit)
        guard buffer.readableBytes > 0 else {
            throw APIError(.badRequest, "request body is empty; a JSON object is required")
        }
        do {
            return try buffer.withUnsafeReadableBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes) }
        } catch {
            throw APIError(.badRequest, "request body is not valid JSON: \(error)")
        }
    }
}

extension Response {
    /// A 200 answer carrying JSON bytes.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A JSON answer of `value`, written once.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(JSONWriter.bytes(from: value), status: status)
    }

    /// A 200 answer with an empty body, as protocol 1 acknowledges writes.
    static var emptyOK: Response {
        Response(status: .ok, body: .init())
    }
}
