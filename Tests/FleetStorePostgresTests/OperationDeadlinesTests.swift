import Synchronization
import Testing

import FleetStore
@testable import FleetStorePostgres

@Suite("operation deadlines")
struct OperationDeadlinesTests {
    struct TimedOut: Error {}

    /// A gate an operation waits at without heeding cancellation, as the driver's wait for a statement's answer does.
    final class Gate: Sendable {
        private let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])
        private let isOpen = Mutex(false)

        func pass() async {
            await withCheckedContinuation { continuation in
                let open = isOpen.withLock { open in
                    if !open { waiting.withLock { $0.append(continuation) } }
                    return open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            isOpen.withLock { $0 = true }
            for continuation in waiting.withLock({ $0 }) { continuation.resume() }
        }
    }

    /// What running `operation` under a 200 ms deadline, with a watchdog, answered within 60 s (nil: nothing); the gate
    /// opens after that, so that an operation still waiting at it ends with the test.
    private func answer(of operation: @escaping @Sendable () async throws -> Int, gate: Gate) async -> Result<Int, any Error>? {
        let deadlines = OperationDeadlines(resolution: .milliseconds(50))
        let watchdog = Task { await deadlines.watch() }
        defer { watchdog.cancel() }
        let answer = Mutex<Result<Int, any Error>?>(nil)
        let run = Task {
            do {
                let value = try await deadlines.run(timeout: .milliseconds(200), onTimeout: { TimedOut() }, operation)
                answer.withLock { $0 = .success(value) }
            } catch {
                answer.withLock { $0 = .failure(error) }
            }
        }
        let clock = ContinuousClock()
        let giveUp = clock.now + .seconds(60)
        while answer.withLock({ $0 }) == nil && clock.now < giveUp { try? await Task.sleep(for: .milliseconds(20)) }
        let seen = answer.withLock { $0 }
        gate.open()
        await run.value
        return seen
    }

    @Test("an operation that ignores its cancel is abandoned a timeout later: its caller gets the timeout, not a wait without end")
    func abandonsAnOperationThatIgnoresCancel() async {
        let gate = Gate()
        let result = await answer(of: { await gate.pass(); return 1 }, gate: gate)
        #expect(throws: TimedOut.self) { try #require(result).get() }
    }

    @Test("an operation that ends when cancelled at its deadline gives the timeout")
    func cancelsAnOperationPastItsDeadline() async {
        let result = await answer(of: { try await Task.sleep(for: .seconds(60)); return 1 }, gate: Gate())
        #expect(throws: TimedOut.self) { try #require(result).get() }
    }

    @Test("an operation that ends in time gives its value")
    func answersAnOperationInTime() async throws {
        let result = await answer(of: { 7 }, gate: Gate())
        #expect(try #require(result).get() == 7)
    }
}
