import Foundation
import JSONSchema

/// A real `cep-stub` process from the build folder on loopback ports, its output in a log file.
public final class CEPStubProcess: Sendable {
    public let plainPort: Int
    public let tlsPort: Int
    public let httpPort: Int
    public let logFile: URL
    private let child: ChildProcess

    public static var executable: URL {
        AFMProcess.executable.deletingLastPathComponent().appendingPathComponent("cep-stub")
    }

    /// Starts the stub (free ports unless given) and waits until its HTTP side and both listeners answer.
    public init(
        plainPort: Int? = nil, tlsPort: Int? = nil, username: String = "admin", password: String = "admin",
        certificate: String? = nil, privateKey: String? = nil
    ) async throws {
        self.plainPort = try plainPort ?? freeLoopbackPort()
        self.tlsPort = try tlsPort ?? freeLoopbackPort()
        httpPort = try freeLoopbackPort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("cep-stub-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = Self.executable
        var arguments = [
            "--plain-port", "\(self.plainPort)", "--tls-port", "\(self.tlsPort)", "--http-port", "\(httpPort)",
            "--username", username, "--password", password, "--log-level", "debug",
        ]
        if let certificate, let privateKey { arguments += ["--certificate", certificate, "--private-key", privateKey] }
        process.arguments = arguments
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        child = try ChildProcess(starting: process)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while true {
            if let health = try? await HTTP.get(baseURL.appendingPathComponent("health")), health.status == 200,
                self.log.contains("(plain) listening"), self.log.contains("(tls) listening")
            {
                break
            }
            guard child.isRunning, ContinuousClock.now < deadline else { throw Failure("cep-stub did not start:\n\(self.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(httpPort)")! }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { child.isRunning }

    /// The recorded events matching `query` (e.g. `stream=…&member_id=…`), oldest first.
    public func events(_ query: String = "") async throws -> [JSONValue] {
        let answer = try await HTTP.get(URL(string: "\(baseURL.absoluteString)/events?\(query)")!)
        guard answer.status == 200, case .object(let body) = try JSONParser.parse(answer.body), case .array(let events)? = body["events"] else {
            throw Failure("GET /events answered \(answer.status)")
        }
        return events
    }

    public func expireSessions() async throws {
        let answer = try await HTTP.delete(baseURL.appendingPathComponent("sessions"))
        guard answer.status == 204 else { throw Failure("DELETE /sessions answered \(answer.status)") }
    }

    public func kill() async {
        await child.kill()
    }
}
