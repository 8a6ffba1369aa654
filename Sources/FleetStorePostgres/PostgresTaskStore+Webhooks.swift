import FleetModel
import FleetStore
import Foundation
import JSON
import PostgresNIO

extension PostgresTaskStore: WebhookBook {
    public func saveWebhook(_ webhook: Webhook, at now: Timestamp) async throws -> (webhook: Webhook, created: Bool) {
        let saved = try await guarded("webhook save") {
            try await self.webhookRows(
                """
                INSERT INTO webhooks (name, url, secret, events, created, updated)
                VALUES (\(webhook.name), \(webhook.url), \(webhook.secret), \(webhook.events.joined(separator: ",")), \(now), \(now))
                ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, events = EXCLUDED.events,
                    updated = EXCLUDED.updated
                RETURNING name, url, secret, events, created, updated
                """
            ).first
        }
        guard let saved else { throw StoreUnavailable(operation: "webhook save", cause: "the statement returned no row") }
        return (saved, saved.created == now)
    }

    public func webhook(named name: String) async throws -> Webhook? {
        try await guarded("webhook read") {
            try await self.webhookRows("SELECT name, url, secret, events, created, updated FROM webhooks WHERE name = \(name)").first
        }
    }

    public func webhooks(after name: String?, limit: Int) async throws -> [Webhook] {
        try await guarded("webhook list") {
            try await self.webhookRows(
                """
                SELECT name, url, secret, events, created, updated FROM webhooks WHERE \(name)::text IS NULL OR name > \(name)
                ORDER BY name LIMIT \(limit)
                """)
        }
    }

    public func deleteWebhook(named name: String) async throws -> Bool {
        try await guarded("webhook delete") {
            var deleted = false
            for try await count in try await self.client.query(
                """
                WITH gone AS (DELETE FROM webhooks WHERE name = \(name) RETURNING name),
                    deliveries AS (DELETE FROM webhook_deliveries WHERE webhook = \(name) RETURNING id),
                    attempts AS (DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM deliveries))
                SELECT count(*) FROM gone
                """, logger: self.logger
            ).decode(Int64.self) {
                deleted = count > 0
            }
            return deleted
        }
    }

    /// One statement: the due rows are locked `SKIP LOCKED`, so processes delivering at once take different ones, and
    /// their next attempt moves to the lease's end, so a process that dies mid-send leaves them to be retried then.
    public func claimDeliveries(at now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [ClaimedDelivery] {
        try await guarded("delivery claim") {
            var claimed: [ClaimedDelivery] = []
            for try await (id, webhook, url, secret, event, body, created, attempts) in try await self.client.query(
                """
                WITH due AS (
                    SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt <= \(now)
                    ORDER BY next_attempt LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ), taken AS (
                    UPDATE webhook_deliveries d SET next_attempt = \(leaseUntil), attempts = d.attempts + 1
                    FROM due WHERE d.id = due.id RETURNING d.id, d.webhook, d.event, d.body, d.created, d.attempts
                )
                SELECT taken.id, taken.webhook, w.url, w.secret, taken.event, taken.body, taken.created, taken.attempts
                FROM taken JOIN webhooks w ON w.name = taken.webhook ORDER BY taken.created
                """, logger: self.logger
            ).decode((UUID, String, String, String, String, String, Timestamp, Int32).self) {
                claimed.append(ClaimedDelivery(
                    id: id, webhook: webhook, url: url, secret: secret, event: event, body: body, created: created, attempt: Int(attempts)))
            }
            return claimed
        }
    }

    public func recordAttempt(_ attempt: DeliveryAttempt, of delivery: UUID, retryAt: Timestamp?) async throws {
        let state = attempt.delivered ? "delivered" : retryAt == nil ? "failed" : "pending"
        try await guarded("delivery attempt") {
            try await self.client.query(
                """
                WITH recorded AS (
                    UPDATE webhook_deliveries SET state = \(state), next_attempt = \(attempt.delivered ? nil : retryAt),
                        settled = CASE WHEN \(state) = 'pending' THEN NULL ELSE \(attempt.at) END
                    WHERE id = \(delivery) AND state = 'pending' RETURNING id, attempts
                )
                INSERT INTO webhook_attempts (delivery, attempt, at, status, error, seconds)
                SELECT id, attempts, \(attempt.at), \(attempt.status.map(Int32.init)), \(attempt.error), \(attempt.seconds) FROM recorded
                ON CONFLICT DO NOTHING
                """, logger: self.logger)
        }
    }

    public func deliveries(ofWebhook name: String, before: UUID?, limit: Int) async throws -> [DeliveryRecord] {
        try await guarded("delivery list") {
            var records: [(id: UUID, event: String, body: String, state: String, created: Timestamp, next: Timestamp?)] = []
            for try await row in try await self.client.query(
                """
                SELECT id, event, body, state, created, next_attempt FROM webhook_deliveries
                WHERE webhook = \(name) AND (\(before)::uuid IS NULL OR seq < (SELECT seq FROM webhook_deliveries WHERE id = \(before)))
                ORDER BY seq DESC LIMIT \(limit)
                """, logger: self.logger
            ).decode((UUID, String, String, String, Timestamp, Timestamp?).self) {
                records.append(row)
            }
            var attempts: [UUID: [DeliveryAttempt]] = [:]
            if !records.isEmpty {
                for try await (delivery, at, status, error, seconds) in try await self.client.query(
                    """
                    SELECT delivery, at, status, error, seconds FROM webhook_attempts WHERE delivery = ANY(\(records.map(\.id)))
                    ORDER BY delivery, attempt
                    """, logger: self.logger
                ).decode((UUID, Timestamp, Int32?, String?, Double).self) {
                    attempts[delivery, default: []].append(DeliveryAttempt(at: at, status: status.map(Int.init), error: error, seconds: seconds))
                }
            }
            return records.map { record in
                DeliveryRecord(
                    id: record.id, event: record.event, body: record.body, state: DeliveryRecord.State(rawValue: record.state) ?? .pending,
                    created: record.created, nextAttempt: record.state == "pending" ? record.next : nil, attempts: attempts[record.id] ?? [])
            }
        }
    }

    private func webhookRows(_ query: PostgresQuery) async throws -> [Webhook] {
        var webhooks: [Webhook] = []
        for try await (name, url, secret, events, created, updated) in try await client.query(query, logger: logger)
            .decode((String, String, String, String, Timestamp, Timestamp).self)
        {
            webhooks.append(Webhook(
                name: name, url: url, secret: secret, events: events.split(separator: ",").map(String.init), created: created, updated: updated))
        }
        return webhooks
    }
}
