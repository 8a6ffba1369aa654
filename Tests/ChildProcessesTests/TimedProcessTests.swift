import ChildProcesses
import Foundation
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
}
