import FleetModel
import Foundation
import JSON

/// Webhooks and their deliveries: a delivery is a row from the moment its event happens (in the event's own
/// transaction) until it is delivered or given up, so none is lost when a process dies, and each is claimed by one
/// process at a time for a lease.
public protocol WebhookBook: Sendable {
    /// Creates or replaces the webhook; answers it and whether it is new.
    func saveWebhook(_ webhook: Webhook, at now: Timestamp) async throws -> (webhook: Webhook, created: Bool)
    func webhook(named name: String) async throws -> Webhook?
    func webhooks(after name: String?, limit: Int) async throws -> [Webhook]
    /// Removes the webhook and its deliveries. False when there was none.
    func deleteWebhook(named name: String) async throws -> Bool
    /// Pending deliveries due by `now`, oldest first, at most `limit`, each leased until `leaseUntil` (another
    /// process takes it only after that) and counted as one more attempt.
    func claimDeliveries(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [ClaimedDelivery]
    /// Records an attempt's outcome: delivered, or pending again at `retryAt`, or given up when that is nil.
    func recordAttempt(_ attempt: DeliveryAttempt, of delivery: UUID, retryAt: Timestamp?) async throws
    /// A webhook's deliveries, newest first, before `before` (a delivery id) when given, each with its attempts.
    func deliveries(ofWebhook name: String, before: UUID?, limit: Int) async throws -> [DeliveryRecord]
}

/// Where and what a webhook delivers.
public struct Webhook: Sendable, Equatable {
    public let name: String
    public let url: String
    /// The HMAC key; never written to a log or an answer.
    public let secret: String
    public let events: [String]
    public let created: Timestamp
    public let updated: Timestamp

    public init(name: String, url: String, secret: String, events: [String], created: Timestamp, updated: Timestamp) {
        self.name = name
        self.url = url
        self.secret = secret
        self.events = events.sorted()
        self.created = created
        self.updated = updated
    }

    public static let eventNames = ["incident.opened", "incident.resolved"]
}

/// A delivery handed to a process to send.
public struct ClaimedDelivery: Sendable, Equatable {
    public let id: UUID
    public let webhook: String
    public let url: String
    public let secret: String
    public let event: String
    public let body: String
    public let created: Timestamp
    /// This attempt's number, from 1.
    public let attempt: Int

    public init(id: UUID, webhook: String, url: String, secret: String, event: String, body: String, created: Timestamp, attempt: Int) {
        (self.id, self.webhook, self.url, self.secret) = (id, webhook, url, secret)
        (self.event, self.body, self.created, self.attempt) = (event, body, created, attempt)
    }
}

/// One try at sending a delivery.
public struct DeliveryAttempt: Sendable, Equatable {
    public let at: Timestamp
    /// The receiver's status code; nil when no answer came.
    public let status: Int?
    public let error: String?
    public let seconds: Double

    public init(at: Timestamp, status: Int?, error: String?, seconds: Double) {
        self.at = at
        self.status = status
        self.error = error
        self.seconds = seconds
    }

    /// A 2xx answer.
    public var delivered: Bool { status.map { (200..<300).contains($0) } ?? false }
}

/// A delivery as listed.
public struct DeliveryRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case pending, delivered, failed
    }
    public let id: UUID
    public let event: String
    public let body: String
    public let state: State
    public let created: Timestamp
    public let nextAttempt: Timestamp?
    public let attempts: [DeliveryAttempt]

    public init(id: UUID, event: String, body: String, state: State, created: Timestamp, nextAttempt: Timestamp?, attempts: [DeliveryAttempt]) {
        (self.id, self.event, self.body, self.state) = (id, event, body, state)
        (self.created, self.nextAttempt, self.attempts) = (created, nextAttempt, attempts)
    }
}
