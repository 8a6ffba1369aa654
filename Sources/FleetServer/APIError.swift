import Hummingbird
import JSON
import JSONSchema

/// An error answer: a status and a short JSON body, problem details on `/v2` and `{"error": "…"}` in protocol 1,
/// with the schema violations when there are any.
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
        response(forPath: request.uri.path)
    }

    /// The answer in the form of the route's API: RFC 9457 problem details on `/v2`, protocol 1's `{"error": …}`
    /// elsewhere (its clients read that member).
    func response(forPath path: String) -> Response {
        Self.isVersionTwo(path) ? problemDetails : response
    }

    /// `/v2` and everything under it, spelled as the router reads it (empty components skipped).
    static func isVersionTwo(_ path: String) -> Bool {
        path.split(separator: "/", omittingEmptySubsequences: true).first == "v2"
    }

    /// The protocol-1 answer, `{"error": …}` with the violations when there are any.
    var response: Response {
        answer(contentType: "application/json") { members in
            members.string("error", message)
        }
    }

    /// `application/problem+json`: `type` about:blank (the status says what happened), `title` the status's
    /// phrase, `status`, `detail` the message, and the schema violations as the extension member `violations`.
    var problemDetails: Response {
        answer(contentType: "application/problem+json") { members in
            members.string("type", "about:blank")
            members.string("title", status.reasonPhrase)
            members.integer("status", Int64(status.code))
            members.string("detail", message)
        }
    }

    private func answer(contentType: String, _ leading: (inout JSONObjectWriter) -> Void) -> Response {
        var writer = JSONWriter()
        writer.appendObject { members in
            leading(&members)
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
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
