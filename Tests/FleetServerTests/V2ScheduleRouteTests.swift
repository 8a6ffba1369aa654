import FleetModel
import FleetServer
import FleetStore
import FleetTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Testing

@Suite("BPMS API v2 schedule routes")
struct V2ScheduleRouteTests {
    static let body: JSONValue = [
        "task_type": "url_check", "task_version": 1, "task_data": ["url": "https://example.com/"], "every_seconds": 1,
        "locations": ["SE", "FI"],
    ]

    @Test("PUT creates (201) or replaces (200) a schedule, GET reads and lists it, DELETE removes it")
    func lifecycle() async throws {
        try await ServerHarness.run { client, _ in
            let created = try await client.send(.put, "/v2/schedules/check-fi", json: Self.body)
            #expect(created.status == .created)
            let schedule = try created.json()
            #expect(schedule["name"] == "check-fi" && schedule["every_seconds"] == 1 && schedule["ttl_seconds"] == 1)
            #expect(schedule["locations"] == ["FI", "SE"] && schedule["paused"] == false)
            let offset = try #require(schedule["offset_seconds"]?.numberValue?.doubleValue)
            #expect(offset >= 0 && offset < 1)
            let testID = try #require(schedule["test_id"]?.stringValue)
            // What a read gives can be put back; without a test id, the schedule keeps its own.
            var changed = try #require(schedule.objectValue)
            changed["test_id"] = nil
            changed["paused"] = true
            let replaced = try await client.send(.put, "/v2/schedules/check-fi", json: .object(changed))
            #expect(replaced.status == .ok)
            let replacedSchedule = try replaced.json()
            #expect(replacedSchedule["test_id"]?.stringValue == testID && replacedSchedule["paused"] == true)
            #expect(try await client.send(.get, "/v2/schedules/check-fi").json()["paused"] == true)
            var cron = Self.body.objectValue!
            cron["every_seconds"] = nil
            cron["cron"] = "*/5 * * * MON-FRI"
            let weekly = try await client.send(.put, "/v2/schedules/a-cron", json: .object(cron))
            let weeklySchedule = try weekly.json()
            #expect(weekly.status == .created && weeklySchedule["cron"] == "*/5 * * * MON-FRI" && weeklySchedule["ttl_seconds"] == 300)
            let page = try await client.send(.get, "/v2/schedules?limit=1").json()
            #expect(page["schedules"]?.arrayValue?.first?["name"] == "a-cron" && page["next_after"] == "a-cron")
            let rest = try await client.send(.get, "/v2/schedules?after=a-cron").json()
            #expect(rest["schedules"]?.arrayValue?.count == 1 && rest["next_after"] == .null)
            #expect(try await client.send(.delete, "/v2/schedules/check-fi").status == .noContent)
            #expect(try await client.send(.delete, "/v2/schedules/check-fi").status == .notFound)
            #expect(try await client.send(.get, "/v2/schedules/check-fi").status == .notFound)
            #expect(try await client.send(.get, "/v2/schedules/check-fi/runs").status == .notFound)
        }
    }

    @Test("a bad schedule is refused with a 400 that says why, and nothing is saved")
    func refused() async throws {
        try await ServerHarness.run { client, _ in
            try await client.send(.put, "/v2/task-types/url_check/1", json: V2RouteTests.urlSchema)
            func refusal(_ change: (inout [String: JSONValue]) -> Void) async throws -> String? {
                var body = Self.body.objectValue!
                change(&body)
                let answer = try await client.send(.put, "/v2/schedules/refused", json: .object(body))
                #expect(answer.status == .badRequest)
                return answer.errorMessage
            }
            #expect(try await refusal { $0["cron"] = "* * * * *" }?.contains("either every_seconds or cron") == true)
            #expect(try await refusal { $0["every_seconds"] = nil }?.contains("either every_seconds or cron") == true)
            #expect(try await refusal { $0["every_seconds"] = 0 } != nil)
            #expect(try await refusal { $0["every_seconds"] = nil; $0["cron"] = "61 * * * *" }?.contains("minute") == true)
            #expect(try await refusal { $0["every_seconds"] = nil; $0["cron"] = "0 0 31 2 *" }?.contains("no day") == true)
            #expect(try await refusal { $0["locations"] = ["Finland"] }?.contains("'Finland'") == true)
            #expect(try await refusal { $0["task_data"] = ["url": 5] }?.contains("does not match the schema") == true)
            #expect(try await refusal { $0["name"] = "other" }?.contains("not the schedule's name") == true)
            #expect(try await client.send(.get, "/v2/schedules/refused").status == .notFound)
            #expect(try await client.send(.put, "/v2/schedules/white%20space", json: Self.body).status == .notFound)
            #expect(try await client.send(.get, "/v2/schedules?limit=0").status == .badRequest)
            #expect(try await client.send(.get, "/v2/schedules/x/runs?from=yesterday").status == .badRequest)
            try await client.send(.put, "/v2/schedules/window", json: Self.body)
            let backwards = try await client.send(.get, "/v2/schedules/window/runs?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
            #expect(backwards.status == .badRequest && backwards.errorMessage?.contains("from must not be after to") == true)
            let empty = try await client.send(.get, "/v2/schedules/window/runs?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")
            #expect(try empty.status == .ok && empty.json()["slots"] == [])
        }
    }

    @Test("/runs accounts for every slot: each location's task and state, and missed slots, as the schedule runner left them")
    func runs() async throws {
        // The domain's time is the test's: the application's schedule runner makes the slots as the clock moves.
        let definition = ScheduleDefinition(
            name: "check", testID: UUID(), type: "url_check", version: 1, dataJSON: nil, timing: .every(seconds: 10),
            locations: [LocationCode(text: "FI")!, LocationCode(text: "SE")!], ttlSeconds: 10)
        let first = definition.timetable.firstSlot(atOrAfter: Sample.time(0))!
        let clock = ManualClock(at: first.adding(seconds: -0.5))
        try await ServerHarness.runApplication(clock: clock) { client, application in
            let store = application.store
            _ = try await store.saveSchedule(definition, firstSlot: first, at: clock.now())
            func made(_ slot: Timestamp) async -> Bool {
                let history = try? await store.slotHistory(ofSchedule: "check", from: slot, to: slot.adding(seconds: 1), limit: 10)
                return history?.tasks.count == 2
            }
            // The first slot is made on time; then the runner sees no time pass for 35 s: the slots at +10 s and
            // +20 s are missed, the one at +30 s, younger than its time to live of 10 s, is made late.
            clock.advance(seconds: 0.51)
            try await waitUntil(timeout: .seconds(20)) { await made(first) }
            clock.advance(seconds: 34.99)
            try await waitUntil(timeout: .seconds(20)) { await made(first.adding(seconds: 30)) }
            clock.advance(seconds: 1)
            let claimed = try await store.poll(
                Sample.poll(capabilities: [Capability(type: "url_check", version: 1)], maxTasks: 1, at: "FI/18"), at: clock.now())
            #expect(claimed.count == 1)
            // Before the slot at +40 s: the runner has nothing more to make.
            clock.advance(seconds: 3)
            let query = "from=\(first.adding(seconds: -1).iso8601Text)&to=\(first.adding(seconds: 39).iso8601Text)"
                .replacingOccurrences(of: "+", with: "%2B")
            let runs = try await client.send(.get, "/v2/schedules/check/runs?\(query)").json()
            let slots = try #require(runs["slots"]?.arrayValue)
            try #require(slots.count == 4)
            #expect(slots.map { $0["slot"]?.stringValue } == (0...3).map { first.adding(seconds: Double($0 * 10)).iso8601Text })
            #expect(slots.allSatisfy { $0["runs"]?.arrayValue?.map { $0["location"] } == ["FI", "SE"] })
            func statuses(_ index: Int) -> [String?] { slots[index]["runs"]?.arrayValue?.map { $0["status"]?.stringValue } ?? [] }
            #expect(statuses(0) == ["expired", "expired"])
            #expect(slots[0]["runs"]?.arrayValue?.first?["reason"]?.stringValue?.contains("no agent in FI") == true)
            #expect(statuses(1) == ["missed", "missed"] && statuses(2) == ["missed", "missed"])
            #expect(slots[1]["runs"]?.arrayValue?.first?["reason"]?.stringValue?.contains("not created") == true)
            // Made late, in time for FI's agent; SE's still waits, within its time to live.
            #expect(statuses(3) == ["claimed", "waiting"])
            #expect(slots[3]["runs"]?.arrayValue?.first?["task"]?["schedule"] == "check")
            #expect(slots[3]["runs"]?.arrayValue?.first?["task"]?["slot"]?.stringValue == first.adding(seconds: 30).iso8601Text)
            #expect(slots[3]["runs"]?.arrayValue?.first?["task"]?["task_id"]?.stringValue == claimed.first?.id.canonical)
            let paged = try await client.send(.get, "/v2/schedules/check/runs?\(query)&limit=2").json()
            #expect(paged["slots"]?.arrayValue?.count == 2 && paged["next_from"]?.stringValue != nil)
            // A page holds at most 10,000 runs: 99 slots of a schedule in 100 places.
            let countries = (0..<100).map { LocationCode(text: "Z\(Character(UnicodeScalar(48 + $0 / 10)!))/\($0 % 10)0")! }
            let wide = ScheduleDefinition(
                name: "wide", testID: UUID(), type: "url_check", version: 1, dataJSON: nil, timing: .every(seconds: 1),
                locations: countries, ttlSeconds: 1)
            let wideFirst = wide.timetable.firstSlot(atOrAfter: clock.now().adding(seconds: -300))!
            _ = try await store.saveSchedule(wide, firstSlot: wideFirst, at: wideFirst)
            let wideQuery = "from=\(wideFirst.iso8601Text)&limit=1000".replacingOccurrences(of: "+", with: "%2B")
            let widePage = try await client.send(.get, "/v2/schedules/wide/runs?\(wideQuery)").json()
            #expect(widePage["slots"]?.arrayValue?.count == 99 && widePage["next_from"]?.stringValue != nil)
            #expect(widePage["slots"]?.arrayValue?.first?["runs"]?.arrayValue?.count == 100)
        }
    }
}
