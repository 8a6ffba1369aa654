import FleetHTTP
import Hummingbird

/// Counts every answer and times it, labelled by the matched route pattern (not the raw path, so that ids do not
/// multiply the series). Installed outermost, it sees the final status, error answers included; a deferred answer
/// is counted when it is made.
struct RequestMetricsMiddleware: Middleware {
    let metrics: FleetMetrics

    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let route = context.endpointPath ?? "unmatched"
        let answer: Answer
        do {
            answer = try await next(request, context)
        } catch {
            record(route, method, status: Self.status(of: error), since: start)
            throw error
        }
        return try await answer.map { [self] result in
            switch result {
            case .success(let response):
                record(route, method, status: Int(response.status.code), since: start)
                return response
            case .failure(let error):
                record(route, method, status: Self.status(of: error), since: start)
                throw error
            }
        }
    }

    private static func status(of error: any Error) -> Int {
        (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500
    }

    private func record(_ route: String, _ method: String, status: Int, since start: ContinuousClock.Instant) {
        metrics.requestFinished(route: route, method: method, status: status, duration: start.duration(to: .now))
    }
}
