import FleetServer
import FleetTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Prometheus metrics at /metrics")
struct MetricsTests {
    @Test("requests by route pattern and status, and tasks by event, in the text format")
    func metrics() async throws {
        try await ServerHarness.run { client, _ in
            let id = UUID().uuidString.lowercased()
            _ = try await client.send(.post, "/task", json: Wire.task(id: id))
            _ = try await client.send(.post, "/tasks", json: Wire.poll())
            _ = try await client.send(.post, "/tasks/response", json: ["protocol": 1, "task_id": .string(id), "task_data": [:]])
            _ = try await client.send(.get, "/task/\(UUID().uuidString)")
            let answer = try await client.send(.get, "/metrics")
            #expect(answer.status == .ok && answer.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = answer.text
            for line in [
                #"afm_tasks_total{event="created"} 1"#, #"afm_tasks_total{event="claimed"} 1"#, #"afm_tasks_total{event="completed"} 1"#,
                #"afm_http_requests_total{route="/task/{task_id}",method="GET",status="404"} 1"#,
                #"afm_http_requests_total{route="/tasks",method="POST",status="200"} 1"#,
            ] {
                #expect(text.contains(line), "missing \(line) in\n\(text)")
            }
            #expect(text.contains("afm_http_request_duration_seconds_bucket"))
            #expect(text.contains("afm_claim_batch_size_bucket"))
        }
    }

    @Test("schedule slots: lag by bucket and missed slots counted")
    func scheduleMetrics() {
        let metrics = FleetMetrics()
        metrics.slotCreated(lagSeconds: 0.02)
        metrics.slotCreated(lagSeconds: 3)
        metrics.slotsMissed(7)
        let text = String(decoding: metrics.registry.emitToBuffer(), as: UTF8.self)
        for line in [
            #"afm_schedule_slot_lag_seconds_bucket{le="0.025"} 1"#, #"afm_schedule_slot_lag_seconds_bucket{le="5.0"} 2"#,
            "afm_schedule_slot_lag_seconds_count 2", "afm_schedule_slots_missed_total 7",
        ] {
            #expect(text.contains(line), "missing \(line) in\n\(text)")
        }
    }
}
