import Hummingbird

/// Counts every answer and times it, labelled by the matched route pattern (not the raw path, so that ids do not
/// multiply the series). Installed outermost, it sees the final status, error answers included.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: FleetMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code), since: start, clock)
            return response
        } catch let error as HTTPResponseError {
            record(request, context, status: Int(error.status.code), since: start, clock)
            throw error
        } catch {
            record(request, context, status: 500, since: start, clock)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant, _ clock: ContinuousClock) {
        let route = context.endpointPath ?? "unmatched"
        metrics.requestFinished(route: route == "NotFound" ? "unmatched" : route, method: request.method.rawValue, status: status, duration: start.duration(to: clock.now))
    }
}
