import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `afm` process, started from the build folder, listening on a free loopback port.
public final class AFMProcess: Sendable {
    public let port: Int
    public let baseURL: URL
    private let process: Process
    private let errorPipe: Pipe

    /// The `afm` executable built next to the test binary (`AFM_BINARY` overrides).
    public static var executable: URL {
        if let override = ProcessInfo.processInfo.environment["AFM_BINARY"] { return URL(fileURLWithPath: override) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("afm")
    }

    /// Starts `afm [arguments] run 127.0.0.1 PORT` with exactly `environment` (nothing inherited but PATH and HOME).
    public init(
        arguments: [String] = [], environment: [String: String] = [:], workingDirectory: URL? = nil, port: Int? = nil
    ) throws {
        self.port = try port ?? freeLoopbackPort()
        baseURL = URL(string: "http://127.0.0.1:\(self.port)")!
        process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments + ["run", "127.0.0.1", String(self.port)]
        var fullEnvironment = environment
        for key in ["PATH", "HOME"] { fullEnvironment[key] = ProcessInfo.processInfo.environment[key] }
        process.environment = fullEnvironment
        process.currentDirectoryURL = workingDirectory ?? FileManager.default.temporaryDirectory
        errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits until `GET /status` answers (any status: the server is up), or fails after `timeout`.
    public func waitUntilServing(timeout: TimeInterval = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else { throw Failure("afm exited early: \(try stopAndReadLog())") }
            if (try? await HTTP.get(baseURL.appendingPathComponent("status"))) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("afm did not start serving within \(timeout) s")
    }

    /// Sends SIGTERM, waits for the exit, and returns the exit status.
    @discardableResult
    public func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Kills the process with SIGKILL, as a crash or an out-of-memory kill would, and waits for it to go.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Stops the process (if running) and returns what it wrote to standard error.
    public func stopAndReadLog() throws -> String {
        terminate()
        let data = try errorPipe.fileHandleForReading.readToEnd() ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// Runs `afm` with arguments to completion, for commands that exit by themselves.
public func runAFM(_ arguments: [String], environment: [String: String] = [:], workingDirectory: URL? = nil) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = AFMProcess.executable
    process.arguments = arguments
    var fullEnvironment = environment
    for key in ["PATH", "HOME"] { fullEnvironment[key] = ProcessInfo.processInfo.environment[key] }
    process.environment = fullEnvironment
    process.currentDirectoryURL = workingDirectory ?? FileManager.default.temporaryDirectory
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = try errorPipe.fileHandleForReading.readToEnd() ?? Data()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

public struct Failure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Asks the kernel for a free TCP port on 127.0.0.1.
public func freeLoopbackPort() throws -> Int {
    let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketDescriptor >= 0 else { throw Failure("socket() failed") }
    defer { close(socketDescriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(socketDescriptor, pointer, length) == 0 && getsockname(socketDescriptor, pointer, &length) == 0
        }
    }
    guard bound else { throw Failure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A minimal HTTP client for system tests.
public enum HTTP {
    public static func get(_ url: URL) async throws -> (status: Int, body: Data) {
        try await send(URLRequest(url: url))
    }

    public static func post(_ url: URL, json: String) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(json.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        return try await send(request)
    }

    public static func delete(_ url: URL) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "DELETE"
        return try await send(request)
    }

    private static func send(_ request: URLRequest) async throws -> (status: Int, body: Data) {
        var request = request
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
