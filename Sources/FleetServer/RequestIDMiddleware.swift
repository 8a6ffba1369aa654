import FleetHTTP
import HTTPTypes
import Hummingbird
import JSON

/// Gives every request an id, the one its `X-Request-ID` header carries (up to 128 visible ASCII characters) or a
/// new random one, logs everything about the request with it (`request_id`) and echoes it in the answer, so that a
/// client's report and the server's log lines meet.
struct RequestIDMiddleware: Middleware {
    static let header = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer {
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? Self.generated()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        return try await next(request, context).map { result in
            var response = try result.get()
            response.headers[Self.header] = id
            return response
        }
    }

    static func acceptable(_ id: String) -> String? {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) ? id : nil
    }

    static func generated() -> String { Hexadecimal.random(bytes: 8) }
}
