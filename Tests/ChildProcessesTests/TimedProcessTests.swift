import ChildProcesses
import Foundation
import Synchronization
import Testing

@Suite("Timed child processes")
struct TimedProcessTests {
    static func process(_ arguments: String...) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c"] + arguments
        return process
    }

    @Test("exit status, signal, time limit and cancellation")
    func outcomes() async throws {
        #expect(try await TimedProcess.run(Self.process("exit 7"), timeout: .seconds(30)) == .exited(7))
        #expect(try await TimedProcess.run(Self.process("kill -9 $$"), timeout: .seconds(30)) == .signalled(9))
        // A child that ignores SIGTERM is killed a second after the limit.
        #expect(try await TimedProcess.run(Self.process("trap '' TERM; sleep 300"), timeout: .milliseconds(200)) == .timedOut)
        let cancelled = Task { try await TimedProcess.run(Self.process("sleep 300"), timeout: .seconds(600)) }
        try await Task.sleep(for: .milliseconds(200))
        cancelled.cancel()
        #expect(try await cancelled.value == .cancelled)
    }

    @Test("a child's end is noticed while children started at the same moment from other threads still run")
    func concurrentChildren() async throws {
        // Long children are started from other threads beside each short one; the short one's end must not wait for
        // theirs (with Foundation's own notice it could, for as long as a long child that inherited its socket ran).
        let spawned = Mutex<[Process]>([])
        defer { for process in spawned.withLock({ $0 }) where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        for _ in 0..<40 {
            let start = ContinuousClock.now
            for _ in 0..<4 {
                Thread.detachNewThread {
                    let long = Self.process("sleep 120")
                    if (try? long.run()) != nil { spawned.withLock { $0.append(long) } }
                }
            }
            #expect(try await TimedProcess.run(Self.process("exit 0"), timeout: .seconds(300)) == .exited(0))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(60), "a short child's end took \(elapsed) to be noticed")
            if elapsed >= .seconds(60) { break }
        }
    }
}
