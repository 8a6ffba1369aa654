import Hummingbird

/// Counts every answer and times it, labelled by the matched route pattern (not the raw path, so that ids do not
/// multiply the series). Installed outermost, it sees the final status, error answers included.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: FleetMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(route(context), method, status: Self.status(of: error), since: start)
            throw error
        }
        let route = route(context)
        // A deferred answer is counted when it is made, with its own status.
        let deferred = DeferredAnswer.wrapPending { work in
            { [self] in try await counting(route, method, since: start, work) }
        }
        if !deferred { record(route, method, status: Int(response.status.code), since: start) }
        return response
    }

    private func counting(
        _ route: String, _ method: String, since start: ContinuousClock.Instant, _ work: DeferredAnswer.Work
    ) async throws -> Response {
        do {
            let response = try await work()
            record(route, method, status: Int(response.status.code), since: start)
            return response
        } catch {
            record(route, method, status: Self.status(of: error), since: start)
            throw error
        }
    }

    private static func status(of error: any Error) -> Int {
        (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500
    }

    private func route(_ context: Context) -> String {
        let route = context.endpointPath ?? "unmatched"
        return route == "NotFound" ? "unmatched" : route
    }

    private func record(_ route: String, _ method: String, status: Int, since start: ContinuousClock.Instant) {
        metrics.requestFinished(route: route, method: method, status: status, duration: start.duration(to: .now))
    }
}
