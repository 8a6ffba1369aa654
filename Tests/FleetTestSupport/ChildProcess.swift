import ChildProcesses
import Foundation
import Synchronization

/// A process a test starts. Its end is learnt by a thread of its own that waits for exactly this child
/// (`ChildExit`, which says why Foundation's own notice is not used), and is awaited by suspending.
/// Output goes to files, not pipes: a pipe read only at the end fills up and blocks a chatty child.
public final class ChildProcess: Sendable {
    private let process: Process
    private let exitStatus = Mutex<Int32?>(nil)

    /// Runs `process`, configured but not yet started.
    public init(starting process: Process) throws {
        self.process = process
        try process.run()
        let pid = process.processIdentifier
        Thread.detachNewThread { [weak self] in
            let status = Self.waitForEnd(of: pid, process: process)
            self?.exitStatus.withLock { $0 = status }
        }
    }

    /// Blocks until `pid` has ended; answers its exit status, or the signal that ended it. If Foundation reaped it
    /// first, its own record of the end is used.
    private static func waitForEnd(of pid: Int32, process: Process) -> Int32 {
        switch ChildExit.wait(for: pid) {
        case .exited(let status)?, .signalled(let status)?: return status
        case nil:
            while process.isRunning { usleep(10_000) }
            return process.terminationStatus
        }
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// False once the child has ended.
    public var isRunning: Bool { exitStatus.withLock { $0 } == nil }

    /// The exit status (or the number of the signal that ended it); nil while it runs.
    public var status: Int32? { exitStatus.withLock { $0 } }

    public func signal(_ number: Int32) {
        if isRunning { Foundation.kill(process.processIdentifier, number) }
    }

    /// Waits for the end; nil when the child still runs after `timeout` (or the waiting task is cancelled).
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let status { return status }
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(20))) != nil else { return status }
        }
    }

    /// SIGTERM, then SIGKILL if the child is still running after `grace`; answers the exit status, or nil if even
    /// SIGKILL did not end it within ten seconds.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32? {
        signal(SIGTERM)
        if let status = await waitForExit(timeout: grace) { return status }
        return await kill()
    }

    /// SIGKILL, as a crash or an out-of-memory kill would end it; answers the status once it is gone.
    @discardableResult
    public func kill() async -> Int32? {
        signal(SIGKILL)
        return await waitForExit(timeout: .seconds(10))
    }

    deinit {
        if isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// What a command that ran to its end left behind.
public struct CommandResult: Sendable {
    public let status: Int32
    public let output: String
    public let errors: String
}

/// Runs `executable` to its end with its output and errors in files; fails when it cannot start or is still
/// running after `timeout` (it is killed then). `environment` nil inherits the test's environment.
public func runCommand(
    _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, workingDirectory: URL? = nil,
    timeout: Duration = .seconds(120)
) async throws -> CommandResult {
    let files = FileManager.default.temporaryDirectory.appendingPathComponent("afm-command-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: files) }
    let outputFile = files.appendingPathComponent("stdout"), errorFile = files.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outputFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    let child = try ChildProcess(starting: process)
    guard let status = await child.waitForExit(timeout: timeout) else {
        await child.kill()
        throw Failure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    return CommandResult(
        status: status,
        output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
        errors: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
}
