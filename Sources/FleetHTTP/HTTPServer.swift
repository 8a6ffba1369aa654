import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// An HTTP/1.1 server over a `Responder`, as a service: listens until graceful shutdown, then drains.
///
/// Why not Hummingbird's `Application`: an `Application` hands its server builder a responder that answers through a
/// `ResponseWriter`, which can only be made over an async channel per connection with its own buffers and task. That
/// per-connection task is exactly what `HTTP1EventChannel` does without, to keep an idle agent's connection at a few
/// kilobytes. So this builds the `Server` itself. Every answer is stamped with `Date` and `Server`; an error that
/// escapes the responder (its middleware should have answered it) is logged and answered 500.
public struct HTTPServer: Service, CustomStringConvertible {
    private let server: Server<HTTP1EventChannel>

    public init(
        responder: @escaping Responder, address: BindAddress, settings: HTTPSettings, idleTimeout: Double, serverName: String,
        logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) {
        let stamped: @Sendable (Response) -> Response = { response in
            var response = response
            response.headers[.date] = HTTPDateHeader.now
            response.headers[.server] = serverName
            return response
        }
        func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
        let channel = HTTP1EventChannel(
            maximumBodySize: settings.maximumBodySize,
            timeouts: ConnectionTimeouts(idle: amount(idleTimeout), request: amount(settings.requestTimeout)),
            limit: ConnectionLimit(maximum: settings.maxConnections ?? DescriptorLimit.defaultMaxConnections)
        ) { request, channel, hangUp in
            let path = request.uri.path
            let failed: @Sendable (any Error) -> Response = { error in
                logger.error("answering a request failed", metadata: ["path": "\(path)", "error": "\(error)"])
                return stamped(Response(status: .internalServerError))
            }
            let answer: Answer
            do {
                answer = try await responder(request, RouteContext(logger: logger, channel: channel, hangUp: hangUp))
            } catch {
                return .now(failed(error))
            }
            switch answer {
            case .now(let response):
                return .now(stamped(response))
            case .later(let gate, let make):
                return .later(gate: gate) {
                    do { return stamped(try await make()) } catch { return failed(error) }
                }
            }
        }
        server = Server(
            childChannelSetup: channel, configuration: ServerConfiguration(address: address, serverName: serverName),
            onServerRunning: onServerRunning, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// What the service group logs when it starts this service.
    public var description: String { "HTTPServer" }

    public func run() async throws {
        try await server.run()
    }
}
