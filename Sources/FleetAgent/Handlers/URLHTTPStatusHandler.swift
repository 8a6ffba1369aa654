import AsyncHTTPClient
import JSON
import NIOCore

/// `url_http_status` version 1: `{"url": "https://…"}` fetches the URL (following redirects) and answers
/// `{"status": <HTTP status code>}`. An unreachable URL or a timeout is a task error.
public struct URLHTTPStatusHandler: TaskHandler {
    public let type = "url_http_status"
    public let version = 1
    let client: HTTPClient
    let timeout: Duration

    public init(client: HTTPClient, timeout: Duration) {
        self.client = client
        self.timeout = timeout
    }

    public func run(_ data: JSONValue) async throws -> JSONValue {
        guard case .string(let url)? = data["url"] else { throw HandlerFailure("task_data.url must be a string") }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw HandlerFailure("task_data.url must be an http or https URL: \(url)")
        }
        let request = HTTPClientRequest(url: url)
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.components.seconds * 1_000_000_000))
            // The body is not needed; reading a bounded prefix lets the connection be reused.
            _ = try? await response.body.collect(upTo: 1 << 20)
            return ["status": .number(.integer(Int64(response.status.code)))]
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw HandlerFailure("no answer from \(url) within \(timeout)")
        } catch {
            throw HandlerFailure("cannot fetch \(url): \(error)")
        }
    }
}
