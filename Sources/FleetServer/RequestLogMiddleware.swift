import FleetHTTP
import Hummingbird

/// Logs every request at debug level with the status it was answered (`LOG_LEVEL=DEBUG`); left out otherwise.
struct RequestLogMiddleware: Middleware {
    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer {
        let (method, path, logger) = (request.method, request.uri.path, context.logger)
        return try await next(request, context).map { result in
            let status = (try? result.get()).map { "\($0.status.code)" } ?? "error"
            logger.debug("request", metadata: ["method": "\(method)", "path": "\(path)", "status": "\(status)"])
            return try result.get()
        }
    }
}
