import Hummingbird
import JSON
import JSONSchema

/// An error answer: a status and a short JSON body `{"error": "…", "violations": [...]}`.
///
/// Every failure of a request ends as one of these, so a client never sees an empty or HTML error page.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public let violations: [ValidationError]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, violations: [ValidationError] = []) {
        self.status = status
        self.message = message
        self.violations = violations
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    /// The JSON answer, `{"error": …}` with the violations when there are any.
    var response: Response {
        var writer = JSONWriter()
        writer.appendObject { members in
            members.string("error", message)
            if !violations.isEmpty {
                members.member("violations") { writer in
                    writer.appendArray(violations) { writer, violation in
                        writer.appendObject { fields in
                            fields.string("instance", violation.instanceLocation)
                            fields.string("keyword", violation.keyword)
                            fields.string("message", violation.message)
                            fields.string("schema", violation.keywordLocation)
                        }
                    }
                }
            }
        }
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
