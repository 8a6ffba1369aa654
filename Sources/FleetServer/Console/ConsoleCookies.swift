import Hummingbird

/// The console's cookies: `afm_session` (the login) and `afm_csrf` (the CSRF token of an open console, sent back
/// in a header by each action). Both `HttpOnly`, `SameSite=Strict`, scoped to `/dashboard`, and `Secure` when the
/// request came over TLS (to a proxy in front that says so with `X-Forwarded-Proto: https`).
enum ConsoleCookies {
    static let session = "afm_session"
    static let csrf = "afm_csrf"

    /// The value of the cookie `name` that the request carries.
    static func value(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    static func isSecure(_ request: Request) -> Bool {
        request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    static func set(_ name: String, _ value: String, for request: Request, maxAge: Int? = nil) -> String {
        var cookie = "\(name)=\(value); Path=/dashboard; HttpOnly; SameSite=Strict"
        if let maxAge { cookie += "; Max-Age=\(maxAge)" }
        if isSecure(request) { cookie += "; Secure" }
        return cookie
    }

    static func cleared(_ name: String, for request: Request) -> String {
        set(name, "", for: request, maxAge: 0)
    }
}
