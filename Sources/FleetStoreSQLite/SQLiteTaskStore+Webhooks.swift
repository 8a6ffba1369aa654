import FleetModel
import FleetStore
import Foundation
import JSON
import SQLiteNIO

extension SQLiteTaskStore: WebhookBook {
    public func saveWebhook(_ webhook: Webhook, at now: Timestamp) async throws -> (webhook: Webhook, created: Bool) {
        let row = try await rows(
            """
            INSERT INTO webhooks (name, url, secret, events, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
            ON CONFLICT (name) DO UPDATE SET url = excluded.url, secret = excluded.secret, events = excluded.events, updated = excluded.updated
            RETURNING *
            """, [.text(webhook.name), .text(webhook.url), .text(webhook.secret), .text(webhook.events.joined(separator: ",")), Self.time(now)]
        ).first
        guard let row else { throw StoreUnavailable(operation: "webhook save", cause: "the statement returned no row") }
        let saved = try Self.webhook(row)
        return (saved, saved.created == now)
    }

    public func webhook(named name: String) async throws -> Webhook? {
        try await rows("SELECT * FROM webhooks WHERE name = ?", [.text(name)]).first.map(Self.webhook)
    }

    public func webhooks(after name: String?, limit: Int) async throws -> [Webhook] {
        try await rows(
            "SELECT * FROM webhooks WHERE ?1 IS NULL OR name > ?1 ORDER BY name LIMIT ?2", [name.map { .text($0) } ?? .null, .integer(limit)]
        ).map(Self.webhook)
    }

    public func deleteWebhook(named name: String) async throws -> Bool {
        try await withTransaction { transaction in
            let gone = try await transaction.rows("DELETE FROM webhooks WHERE name = ? RETURNING name", [.text(name)])
            try await transaction.execute(
                "DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries WHERE webhook = ?)", [.text(name)])
            try await transaction.execute("DELETE FROM webhook_deliveries WHERE webhook = ?", [.text(name)])
            return !gone.isEmpty
        }
    }

    public func claimDeliveries(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [ClaimedDelivery] {
        try await rows(
            """
            UPDATE webhook_deliveries SET next_attempt = ?2, attempts = attempts + 1
            WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt LIMIT ?3)
            RETURNING id, webhook, event, body, created, attempts,
                (SELECT url FROM webhooks WHERE name = webhook) AS url, (SELECT secret FROM webhooks WHERE name = webhook) AS secret
            """, [Self.time(now), Self.time(leaseUntil), .integer(limit)]
        ).compactMap { row in
            guard let url = row.column("url")?.string, let secret = row.column("secret")?.string else { return nil }
            return ClaimedDelivery(
                id: try row.uuid("id"), webhook: try row.text("webhook"), url: url, secret: secret, event: try row.text("event"),
                body: try row.text("body"), created: Self.timestamp(try row.int("created")), attempt: try row.int("attempts"))
        }
    }

    public func recordAttempt(_ attempt: DeliveryAttempt, of delivery: UUID, retryAt: Timestamp?) async throws {
        let state = attempt.delivered ? "delivered" : retryAt == nil ? "failed" : "pending"
        try await withTransaction { transaction in
            let recorded = try await transaction.rows(
                """
                UPDATE webhook_deliveries SET state = ?1, next_attempt = ?2, settled = CASE WHEN ?1 = 'pending' THEN NULL ELSE ?3 END
                WHERE id = ?4 AND state = 'pending' RETURNING attempts
                """,
                [.text(state), (attempt.delivered ? nil : retryAt).map(Self.time) ?? .null, Self.time(attempt.at), .text(delivery.canonical)])
            guard let number = recorded.first?.column("attempts")?.integer else { return }
            try await transaction.execute(
                "INSERT INTO webhook_attempts (delivery, attempt, at, status, error, seconds) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [.text(delivery.canonical), .integer(number), Self.time(attempt.at), attempt.status.map { .integer($0) } ?? .null,
                 attempt.error.map { .text($0) } ?? .null, .float(attempt.seconds)])
        }
    }

    public func deliveries(ofWebhook name: String, before: UUID?, limit: Int) async throws -> [DeliveryRecord] {
        let records = try await rows(
            """
            SELECT * FROM webhook_deliveries
            WHERE webhook = ?1 AND (?2 IS NULL OR rowid < (SELECT rowid FROM webhook_deliveries WHERE id = ?2))
            ORDER BY rowid DESC LIMIT ?3
            """, [.text(name), before.map { .text($0.canonical) } ?? .null, .integer(limit)])
        var result: [DeliveryRecord] = []
        for row in records {
            let id = try row.uuid("id")
            let attempts = try await rows("SELECT * FROM webhook_attempts WHERE delivery = ? ORDER BY attempt", [.text(id.canonical)]).map { attempt in
                DeliveryAttempt(
                    at: Self.timestamp(try attempt.int("at")), status: attempt.column("status")?.integer, error: attempt.column("error")?.string,
                    seconds: attempt.column("seconds")?.double ?? 0)
            }
            let state = DeliveryRecord.State(rawValue: try row.text("state")) ?? .pending
            result.append(DeliveryRecord(
                id: id, event: try row.text("event"), body: try row.text("body"), state: state, created: Self.timestamp(try row.int("created")),
                nextAttempt: state == .pending ? row.column("next_attempt")?.integer.map(Self.timestamp) : nil, attempts: attempts))
        }
        return result
    }

    private static func webhook(_ row: SQLiteRow) throws -> Webhook {
        Webhook(
            name: try row.text("name"), url: try row.text("url"), secret: try row.text("secret"),
            events: try row.text("events").split(separator: ",").map(String.init), created: timestamp(try row.int("created")),
            updated: timestamp(try row.int("updated")))
    }
}
