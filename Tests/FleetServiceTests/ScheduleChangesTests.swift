@testable import FleetService
import Testing

/// The runner's sleep: ended by its time, by a schedule saved here (also one saved while it was not sleeping), and
/// by cancellation at any moment, which is how the server stops it.
@Suite("Schedule changes")
struct ScheduleChangesTests {
    @Test("a sleep ends at its time, at a change, and at once for a change made before it")
    func endings() async {
        let changes = ScheduleChanges()
        let clock = ContinuousClock()
        var started = clock.now
        await changes.sleep(for: .milliseconds(50))
        #expect(started.duration(to: clock.now) >= .milliseconds(50))
        changes.scheduleChanged()
        started = clock.now
        await changes.sleep(for: .seconds(300))
        #expect(started.duration(to: clock.now) < .seconds(60))
        let sleeping = Task { await changes.sleep(for: .seconds(300)) }
        try? await Task.sleep(for: .milliseconds(20))
        changes.scheduleChanged()
        await sleeping.value
    }

    @Test("a sleep cancelled at any moment ends, however the cancellation falls against its start", .timeLimit(.minutes(1)))
    func cancellation() async {
        let changes = ScheduleChanges()
        for round in 0..<2_000 {
            let sleeping = Task { await changes.sleep(for: .seconds(300)) }
            if round % 2 == 1 { await Task.yield() }
            sleeping.cancel()
            await sleeping.value
        }
    }
}
