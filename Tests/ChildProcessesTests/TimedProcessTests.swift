import ChildProcesses
import FleetTestSupport
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

    @Test("at the limit, or when cancelled, the processes the child started end with it")
    func startedProcessesEnd() async throws {
        // One that ignores SIGTERM as its children do (an ignored signal stays ignored across exec), and one that
        // does not.
        let stubborn = Self.process("trap '' TERM; sleep 300 & sleep 300 & wait")
        // Two seconds, so that its children have started by the limit even on a busy machine.
        #expect(try await TimedProcess.run(stubborn, timeout: .seconds(2)) == .timedOut)
        #expect(await eventually { Self.livingProcesses(inGroup: stubborn.processIdentifier) == 0 })

        let plain = Self.process("sleep 300 & sleep 300 & wait")
        let cancelled = Task { try await TimedProcess.run(plain, timeout: .seconds(600)) }
        // The shell and both of its children, once it has started them.
        #expect(await eventually(timeout: .seconds(30)) {
            plain.isRunning && Self.livingProcesses(inGroup: plain.processIdentifier) == 3
        })
        cancelled.cancel()
        #expect(try await cancelled.value == .cancelled)
        #expect(await eventually { Self.livingProcesses(inGroup: plain.processIdentifier) == 0 })
    }

    @Test("a child that ends in time may leave a process of its own running")
    func daemonOutlivesChild() async throws {
        let launcher = Self.process("sleep 300 >/dev/null 2>&1 &")
        #expect(try await TimedProcess.run(launcher, timeout: .seconds(30)) == .exited(0))
        let group = launcher.processIdentifier
        #expect(Self.livingProcesses(inGroup: group) == 1)
        kill(-group, SIGKILL)
    }

    /// Processes of the group that have not ended (zombies left for their parent to reap have).
    static func livingProcesses(inGroup group: Int32) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard Int32(entry) != nil, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return false }
            // After the command name in parentheses: state, parent, process group.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 2 && fields[0] != "Z" && Int32(fields[2]) == group
        }.count
    }
}
