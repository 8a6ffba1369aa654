@testable import FleetServer
@testable import FleetService
import FleetModel
import FleetTestSupport
import JSON
import Testing

/// How a slot's runs read in `/v2/schedules/{name}/runs`, for the states a running application passes through too
/// quickly for a route test to catch (a slot due, whose task the next pass makes).
@Suite("schedule slot answers")
struct SlotAnswerTests {
    @Test("a due slot and a missed one each say so, with the reason, in every place")
    func dueAndMissed() {
        let places = [LocationCode(text: "FI")!, LocationCode(text: "SE")!]
        for (status, word, reason) in [
            (ScheduleService.SlotRun.Status.due, "due", "the next pass over the schedule creates its task"),
            (.missed, "missed", "no afm process came to the slot"),
        ] {
            let slot = ScheduleService.Slot(
                time: Sample.time(40), runs: places.map { ScheduleService.SlotRun(location: $0, status: status) })
            let answer = V2Representations.slot(slot, now: Sample.time(41))
            #expect(answer["slot"] == .string(Sample.time(40).iso8601Text))
            let runs = answer["runs"]?.arrayValue ?? []
            #expect(runs.map { $0["location"] } == ["FI", "SE"])
            #expect(runs.allSatisfy { $0["status"] == .string(word) && $0["reason"]?.stringValue?.contains(reason) == true })
            #expect(runs.allSatisfy { $0["task"] == nil })
        }
    }
}
