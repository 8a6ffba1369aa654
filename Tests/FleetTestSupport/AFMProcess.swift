import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `afm` process, started from the build folder, listening on a free loopback port, its standard error in
/// a log file.
///
/// A free port can be taken by another process between our choosing it and afm binding it (tests run in parallel):
/// afm then stops with "the port is in use", and `waitUntilServing` starts it again on another free port. It also
/// makes sure the server answering on the port is this process, not another test's that took the port.
public final class AFMProcess: Sendable {
    public let logFile: URL
    private struct Running: Sendable {
        var port: Int
        var child: ChildProcess
    }
    private let running: Mutex<Running>
    private let portChosen: Bool
    private let start: @Sendable (Int) throws -> ChildProcess

    public var port: Int { running.withLock { $0.port } }
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    private var child: ChildProcess { running.withLock { $0.child } }

    /// The `afm` executable built next to the test binary (`AFM_BINARY` overrides).
    public static var executable: URL {
        if let override = ProcessInfo.processInfo.environment["AFM_BINARY"] { return URL(fileURLWithPath: override) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("afm")
    }

    /// Starts `afm [arguments] run 127.0.0.1 PORT` with exactly `environment` (nothing inherited but PATH and HOME);
    /// with `descriptorLimit`, under that limit of open files (soft, and hard unless `hardDescriptorLimit` says
    /// otherwise, through util-linux's `prlimit`).
    public init(
        arguments: [String] = [], environment: [String: String] = [:], workingDirectory: URL? = nil, port: Int? = nil,
        descriptorLimit: Int? = nil, hardDescriptorLimit: Int? = nil
    ) throws {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("afm-\(UUID().uuidString).log")
        self.logFile = logFile
        start = { port in
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            let process = Process()
            let afmArguments = arguments + ["run", "127.0.0.1", String(port)]
            if let descriptorLimit {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
                let hard = hardDescriptorLimit ?? descriptorLimit
                process.arguments = ["--nofile=\(descriptorLimit):\(hard)", Self.executable.path] + afmArguments
            } else {
                process.executableURL = Self.executable
                process.arguments = afmArguments
            }
            process.environment = withPathAndHome(environment)
            process.currentDirectoryURL = workingDirectory ?? FileManager.default.temporaryDirectory
            process.standardError = try FileHandle(forWritingTo: logFile)
            process.standardOutput = FileHandle.nullDevice
            return try ChildProcess(starting: process)
        }
        portChosen = port == nil
        let chosen = try port ?? freeLoopbackPort()
        running = Mutex(Running(port: chosen, child: try start(chosen)))
    }

    /// Waits until this process answers `GET /status` (any status: the server is up), or fails after `timeout`.
    public func waitUntilServing(timeout: TimeInterval = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var restarts = 0
        var lastAttempt = "no attempt"
        while Date() < deadline {
            let child = self.child
            if !child.isRunning {
                guard portChosen, restarts < 3, log.contains("the port is in use") else {
                    throw Failure("afm exited early: \(await stopAndReadLog())")
                }
                restarts += 1
                let port = try freeLoopbackPort()
                let restarted = try start(port)
                running.withLock { $0 = Running(port: port, child: restarted) }
                continue
            }
            do {
                _ = try await HTTP.get(baseURL.appendingPathComponent("status"))
                if listens(processIdentifier: child.processIdentifier, port: port) { return }
                lastAttempt = "another process answers on port \(port)"
            } catch {
                lastAttempt = "GET /status: \(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("afm did not start serving within \(timeout) s (\(lastAttempt)); its log ends: \(log.suffix(2_000))")
    }

    /// Sends SIGTERM (SIGKILL after ten seconds), waits for the exit, and returns the exit status.
    @discardableResult
    public func terminate() async -> Int32? {
        await child.stop()
    }

    /// Sends SIGTERM without waiting, for a `defer` (which cannot await).
    public func requestStop() {
        child.signal(SIGTERM)
    }

    /// Kills the process with SIGKILL, as a crash or an out-of-memory kill would, and waits for it to go.
    public func kill() async {
        await child.kill()
    }

    /// Whether the process has not exited (a crash shows here).
    public var isRunning: Bool { child.isRunning }

    /// The process's id (prlimit execs afm in its own process, so this is afm's).
    public var processIdentifier: Int32 { child.processIdentifier }

    /// Descriptors, resident memory and CPU time of the process, from /proc.
    public var statistics: ProcessStatistics { ProcessStatistics(processIdentifier) }

    /// What the process has written to standard error so far.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Stops the process (if running) and returns what it wrote to standard error.
    public func stopAndReadLog() async -> String {
        await terminate()
        return log
    }
}

/// Runs `afm` with arguments to completion, for commands that exit by themselves.
public func runAFM(_ arguments: [String], environment: [String: String] = [:], workingDirectory: URL? = nil) async throws -> (status: Int32, stderr: String) {
    let result = try await runCommand(
        AFMProcess.executable, arguments, environment: withPathAndHome(environment),
        workingDirectory: workingDirectory ?? FileManager.default.temporaryDirectory)
    return (result.status, result.errors)
}

/// `environment` plus the test's own PATH and HOME, which a child needs to find its tools and settings.
public func withPathAndHome(_ environment: [String: String]) -> [String: String] {
    var fullEnvironment = environment
    for key in ["PATH", "HOME"] { fullEnvironment[key] = ProcessInfo.processInfo.environment[key] }
    return fullEnvironment
}

public struct Failure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A minimal HTTP client for system tests.
public enum HTTP {
    public static func get(_ url: URL) async throws -> (status: Int, body: Data) {
        try await send(URLRequest(url: url))
    }

    public static func post(_ url: URL, json: String) async throws -> (status: Int, body: Data) {
        try await send(jsonRequest(url, method: "POST", json: json))
    }

    public static func put(_ url: URL, json: String) async throws -> (status: Int, body: Data) {
        try await send(jsonRequest(url, method: "PUT", json: json))
    }

    /// A protocol-1 poll sent with `Prefer: wait=N`: the answer and its `Preference-Applied` header.
    public static func heldPoll(_ url: URL, json: String, wait: Int) async throws -> (status: Int, body: Data, preferenceApplied: String?) {
        var request = jsonRequest(url, method: "POST", json: json)
        request.setValue("wait=\(wait)", forHTTPHeaderField: "Prefer")
        request.timeoutInterval = TimeInterval(wait + 30)
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http?.value(forHTTPHeaderField: "Preference-Applied"))
    }

    public static func delete(_ url: URL) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "DELETE"
        return try await send(request)
    }

    private static func jsonRequest(_ url: URL, method: String, json: String) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = Data(json.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        return request
    }

    private static func send(_ request: URLRequest) async throws -> (status: Int, body: Data) {
        var request = request
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
