import Databridge
import Foundation
import Hummingbird
import JSON

/// The stub's HTTP side: what it received, for tests and the smoke check.
///
/// - `GET /health`: `{"status":"ok","events":N,"sessions":N,"streams":[…]}`
/// - `GET /events`: `{"count":N,"events":[…]}`, oldest first. Filters: `stream=ID`, `after=SEQUENCE`,
///   `limit=N` (the newest N), and any other `NAME=VALUE` matches a payload, meta or correlation attribute.
/// - `DELETE /sessions`: ends every session (the next publish gets ThriftSessionExpiredException).
enum EventsAPI {
    static func router(receiver: RecordingReceiver) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ in
            json(.object([
                "status": "ok", "events": .number(.integer(Int64(receiver.recordCount))),
                "sessions": .number(.integer(Int64(receiver.sessionCount))), "streams": .array(receiver.streamIDs.map(JSONValue.string)),
            ]))
        }
        router.get("/events") { request, _ in
            var filters: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { filters[String(name)] = String(value) }
            guard let after = Int(filters.removeValue(forKey: "after") ?? "0"), after >= 0 else {
                return json(["error": "after must be a whole number"], status: .badRequest)
            }
            guard let limit = Int(filters.removeValue(forKey: "limit") ?? "\(Int.max)"), limit >= 0 else {
                return json(["error": "limit must be a whole number"], status: .badRequest)
            }
            let stream = filters.removeValue(forKey: "stream")
            let selected = receiver.records(after: after).filter { record in
                if let stream, record.event.streamID != stream { return false }
                let attributes = record.event.metaData + record.event.correlationData + record.event.payloadData
                return filters.allSatisfy { filter in attributes.contains { $0.0 == filter.key && text($0.1) == filter.value } }
            }.suffix(limit)
            return json(.object(["count": .number(.integer(Int64(selected.count))), "events": .array(selected.map(render))]))
        }
        router.delete("/sessions") { _, _ in
            receiver.expireSessions()
            return Response(status: .noContent)
        }
        return router
    }

    static func render(_ record: RecordingReceiver.Record) -> JSONValue {
        let receivedAt = record.receivedAt.formatted(.iso8601)
        func group(_ attributes: [(String, JSONValue)]) -> JSONValue {
            .object(Dictionary(attributes.map { ($0.0, finite($0.1)) }, uniquingKeysWith: { first, _ in first }))
        }
        return .object([
            "sequence": .number(.integer(Int64(record.sequence))),
            "received_at": .string(receivedAt),
            "transport": .string(record.transport),
            "stream_id": .string(record.event.streamID),
            "timestamp": .number(.integer(record.event.timestamp)),
            "meta_data": group(record.event.metaData),
            "correlation_data": group(record.event.correlationData),
            "payload_data": group(record.event.payloadData),
            "arbitrary_data": .object(record.event.arbitraryData.mapValues(JSONValue.string)),
        ])
    }

    /// JSON has no NaN or infinity; those travel as their names.
    private static func finite(_ value: JSONValue) -> JSONValue {
        if case .number(.double(let number)) = value, !number.isFinite { return .string(number.description) }
        return value
    }

    private static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return JSONWriter.string(from: finite(value))
    }

    private static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(from: value))))
    }
}
