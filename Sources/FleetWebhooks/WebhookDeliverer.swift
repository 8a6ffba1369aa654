import AsyncHTTPClient
import FleetModel
import FleetService
import FleetStore
import Foundation
import JSON
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Sends the queued webhook deliveries, a service of every `afm` process: it leases due deliveries from the store,
/// posts each signed (`WebhookSignature`) with a bounded time, and records the attempt; a failed one is retried with
/// exponential backoff (1 s doubling, at most `WEBHOOK_MAX_BACKOFF`) until `WEBHOOK_RETRY_HOURS` after it was queued.
/// Runs apart from task flow: a slow or dead receiver holds only this loop's few connections.
public struct WebhookDeliverer: Service {
    let book: any WebhookBook
    let clock: any FleetClock
    let policy: FleetPolicy
    let logger: Logger
    /// Deliveries sent at once at most.
    static let concurrent = 8
    /// An attempt's bound, connection included; the lease outlasts it, so no other process sends it meanwhile.
    static let attemptTimeout = TimeAmount.seconds(10)
    static let lease = 30.0
    static let idlePause = Duration.milliseconds(500)

    public init(book: any WebhookBook, clock: any FleetClock, policy: FleetPolicy, logger: Logger) {
        self.book = book
        self.clock = clock
        self.policy = policy
        self.logger = logger
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: Self.attemptTimeout))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: Self.concurrent)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let sent = await deliverOnce(with: client)
            if sent == 0 { try? await Task.sleep(for: Self.idlePause) }
        }
        try? await client.shutdown()
    }

    /// Sends the deliveries due now; answers how many were attempted.
    func deliverOnce(with client: HTTPClient) async -> Int {
        let now = clock.now()
        let due: [ClaimedDelivery]
        do {
            due = try await book.claimDeliveries(at: now, leaseUntil: now.adding(seconds: Self.lease), limit: Self.concurrent)
        } catch {
            logger.warning("webhook delivery claim failed: \(error)")
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for delivery in due { group.addTask { await self.attempt(delivery, with: client) } }
        }
        return due.count
    }

    private func attempt(_ delivery: ClaimedDelivery, with client: HTTPClient) async {
        let started = ContinuousClock.now
        let at = clock.now()
        var status: Int?
        var failure: String?
        do {
            let timestamp = at.microsecondsSinceEpoch / 1_000_000
            var request = HTTPClientRequest(url: delivery.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "afm-webhooks")
            request.headers.add(name: WebhookSignature.deliveryHeader, value: delivery.id.canonical)
            request.headers.add(name: WebhookSignature.eventHeader, value: delivery.event)
            request.headers.add(name: WebhookSignature.timestampHeader, value: "\(timestamp)")
            request.headers.add(
                name: WebhookSignature.signatureHeader,
                value: WebhookSignature.sign(body: Array(delivery.body.utf8), timestamp: timestamp, secret: delivery.secret))
            request.body = .bytes(ByteBuffer(string: delivery.body))
            let response = try await client.execute(request, timeout: Self.attemptTimeout)
            status = Int(response.status.code)
            // The answer's body is read only so far, so a receiver sending a large one costs nothing.
            _ = try? await response.body.collect(upTo: 4096)
        } catch {
            failure = String(describing: error).prefix(300).description
        }
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let result = DeliveryAttempt(at: at, status: status, error: failure ?? status.flatMap { (200..<300).contains($0) ? nil : "status \($0)" }, seconds: seconds)
        let retryAt = result.delivered ? nil : retryTime(after: delivery, at: at)
        do {
            try await book.recordAttempt(result, of: delivery.id, retryAt: retryAt)
        } catch {
            logger.warning("webhook attempt not recorded: \(error)", metadata: ["delivery": "\(delivery.id.canonical)"])
        }
        if result.delivered {
            logger.info("webhook delivered", metadata: ["webhook": "\(delivery.webhook)", "event": "\(delivery.event)", "attempt": "\(delivery.attempt)"])
        } else {
            logger.warning(
                retryAt == nil ? "webhook delivery given up" : "webhook delivery failed",
                metadata: ["webhook": "\(delivery.webhook)", "event": "\(delivery.event)", "attempt": "\(delivery.attempt)",
                           "error": "\(result.error ?? "")"])
        }
    }

    /// 1 s after the first attempt, doubling, at most the maximum backoff; nil once the retry period is over.
    func retryTime(after delivery: ClaimedDelivery, at now: Timestamp) -> Timestamp? {
        let wait = min(policy.webhookMaximumBackoff, pow(2, Double(min(delivery.attempt, 30) - 1)))
        let next = now.adding(seconds: wait)
        return next <= delivery.created.adding(seconds: policy.webhookRetryHours * 3600) ? next : nil
    }
}
