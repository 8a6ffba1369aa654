import Hummingbird
import JSON
import NIOCore

/// The headers of every console answer: a policy that allows nothing from elsewhere (no external script, style,
/// image or frame), no sniffing, no referrer, and no caching of pages and data.
enum ConsoleHeaders {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    static func headers(type: String, cache: String = "no-store") -> HTTPFields {
        [
            .contentType: type, .contentSecurityPolicy: contentSecurityPolicy, .init("X-Content-Type-Options")!: "nosniff",
            .init("Referrer-Policy")!: "no-referrer", .cacheControl: cache,
        ]
    }

    static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: headers(type: "text/html; charset=utf-8"), body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: headers(type: type, cache: "max-age=300"), body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: headers(type: "application/json"), body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(from: value))))
    }

    /// 303: after a form's POST, the browser GETs the next page.
    static func redirect(to location: String) -> Response {
        var fields = headers(type: "text/plain; charset=utf-8")
        fields[.location] = location
        return Response(status: .seeOther, headers: fields)
    }
}
