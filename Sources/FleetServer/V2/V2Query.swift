import FleetHTTP
import Hummingbird
import JSON

/// The query parameters v2 routes share: a page's `limit` and a window's `from` and `to`, each refused with a 400
/// that names it.
enum V2Query {
    static let defaultLimit = 100
    static let maximumLimit = 1000

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"].map(String.init) else { return defaultLimit }
        guard let value = Int(text), (1...maximumLimit).contains(value) else {
            throw APIError(.badRequest, "query parameter limit must be an integer from 1 to \(maximumLimit)")
        }
        return value
    }

    /// `from` (default `defaultSeconds` before `to`) and `to` (default `now`); 400 when from is after to.
    static func window(_ request: Request, now: Timestamp, defaultSeconds: Double) throws -> (from: Timestamp, to: Timestamp) {
        let parameters = request.uri.queryParameters
        func time(_ parameter: String) throws -> Timestamp? {
            guard let text = parameters[parameter[...]].map(String.init) else { return nil }
            guard let value = Timestamp(iso8601: text) else { throw APIError(.badRequest, "query parameter \(parameter) must be an ISO 8601 date-time") }
            return value
        }
        let to = try time("to") ?? now
        let from = try time("from") ?? to.adding(seconds: -defaultSeconds)
        guard from <= to else { throw APIError(.badRequest, "query parameter from must not be after to") }
        return (from, to)
    }
}
