import FleetModel
import FleetStore
import Foundation
import JSON

/// Webhooks as the BPMS keeps them: saved with their URL and events checked, read without their secret, and their
/// deliveries listed.
public struct WebhookService: Sendable {
    let book: any WebhookBook
    let clock: any FleetClock

    /// A shorter secret is refused: HMAC keys this short are guessable.
    public static let minimumSecretLength = 16

    /// Saves the webhook; throws `InvalidDocument` naming what is wrong.
    public func save(name: String, url: String, secret: String, events: [String]) async throws -> (webhook: Webhook, created: Bool) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            parsed.host?.isEmpty == false, parsed.user == nil, parsed.password == nil
        else {
            throw InvalidDocument("url must be an http or https URL with a host and without credentials")
        }
        // Counted in code points, as JSON Schema's minLength and maxLength count them.
        guard (Self.minimumSecretLength...512).contains(secret.unicodeScalars.count) else {
            throw InvalidDocument("secret must be \(Self.minimumSecretLength) to 512 characters")
        }
        let unknown = events.filter { !Webhook.eventNames.contains($0) }
        guard unknown.isEmpty, !events.isEmpty else {
            throw InvalidDocument("events must name one or more of \(Webhook.eventNames.joined(separator: ", "))")
        }
        let now = clock.now()
        return try await book.saveWebhook(
            Webhook(name: name, url: url, secret: secret, events: Array(Set(events)), created: now, updated: now), at: now)
    }

    public func webhook(named name: String) async throws -> Webhook? { try await book.webhook(named: name) }
    public func list(after name: String?, limit: Int) async throws -> [Webhook] { try await book.webhooks(after: name, limit: limit) }
    public func delete(named name: String) async throws -> Bool { try await book.deleteWebhook(named: name) }

    public func deliveries(of name: String, before: UUID?, limit: Int) async throws -> [DeliveryRecord]? {
        guard try await book.webhook(named: name) != nil else { return nil }
        return try await book.deliveries(ofWebhook: name, before: before, limit: limit)
    }
}
