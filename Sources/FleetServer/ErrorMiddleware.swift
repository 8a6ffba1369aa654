import FleetHTTP
import FleetModel
import FleetService
import FleetWire
import FleetStore
import Hummingbird
import Logging
import NIOCore

/// Turns every error a route throws into a JSON error answer (problem details on `/v2`), and logs server-side faults with their cause.
///
/// Client mistakes (4xx) are logged at debug level: they are the client's problem, not the server's.
struct ErrorMiddleware: Middleware {
    func handle(_ request: Request, context: RouteContext, next: Responder) async throws -> Answer {
        let (method, path, logger) = (request.method, request.uri.path, context.logger)
        let answer: Answer
        do {
            answer = try await next(request, context)
        } catch {
            return .now(Self.answer(error, method: method, path: path, logger: logger))
        }
        return try await answer.map { result in
            switch result {
            case .success(let response): response
            case .failure(let error): Self.answer(error, method: method, path: path, logger: logger)
            }
        }
    }

    private static func answer(_ error: any Error, method: HTTPRequest.Method, path: String, logger: Logger) -> Response {
        let answer = apiError(for: error)
        var metadata: Logger.Metadata = ["method": "\(method)", "path": "\(path)", "status": "\(answer.status.code)"]
        if answer.status.code >= 500 {
            metadata["cause"] = "\(error)"
            logger.error("request failed", metadata: metadata)
        } else {
            metadata["reason"] = "\(answer.message)"
            logger.debug("request refused", metadata: metadata)
        }
        return answer.response(forPath: path)
    }

    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as InvalidRequest:
            return APIError(.badRequest, error.message, violations: error.violations)
        case let error as InvalidDocument:
            return APIError(.badRequest, error.message, violations: error.violations)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "request body is larger than the limit")
        case let error as HTTPError:
            var answer = APIError(error.status, error.body ?? error.status.reasonPhrase.lowercased())
            answer.headers = error.headers
            return answer
        case let error as StoreUnavailable:
            return APIError(.internalServerError, "database unavailable: \(error.operation) failed")
        case let error as any HTTPResponseError:
            return APIError(error.status, error.status.reasonPhrase.lowercased())
        default:
            return APIError(.internalServerError, "internal error")
        }
    }
}
