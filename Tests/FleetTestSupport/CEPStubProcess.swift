import Foundation
import JSON

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

    /// Starts the stub (free ports unless given) and waits until its HTTP side and both listeners answer. A free
    /// port can be taken by another process between our choosing it and the stub binding it; the stub is then
    /// started again on new free ports (those given are kept).
    public init(
        plainPort: Int? = nil, tlsPort: Int? = nil, username: String = "admin", password: String = "admin",
        certificate: String? = nil, privateKey: String? = nil
    ) async throws {
        var attempt = 1
        while true {
            let ports = (plain: try plainPort ?? freeLoopbackPort(), tls: try tlsPort ?? freeLoopbackPort(), http: try freeLoopbackPort())
            let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("cep-stub-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            let process = Process()
            process.executableURL = Self.executable
            var arguments = [
                "--plain-port", "\(ports.plain)", "--tls-port", "\(ports.tls)", "--http-port", "\(ports.http)",
                "--username", username, "--password", password, "--log-level", "debug",
            ]
            if let certificate, let privateKey { arguments += ["--certificate", certificate, "--private-key", privateKey] }
            process.arguments = arguments
            let log = try FileHandle(forWritingTo: logFile)
            process.standardOutput = log
            process.standardError = log
            let child = try ChildProcess(starting: process)
            let baseURL = URL(string: "http://127.0.0.1:\(ports.http)")!
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            var started = false
            while true {
                let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                if let health = try? await HTTP.get(baseURL.appendingPathComponent("health")), health.status == 200,
                    text.contains("(plain) listening"), text.contains("(tls) listening")
                {
                    started = true
                    break
                }
                if !child.isRunning || ContinuousClock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if started {
                self.plainPort = ports.plain
                self.tlsPort = ports.tls
                httpPort = ports.http
                self.logFile = logFile
                self.child = child
                return
            }
            await child.kill()
            guard attempt < 3, text.contains("Address already in use") else { throw Failure("cep-stub did not start:\n\(text)") }
            attempt += 1
        }
    }

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(httpPort)")! }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { child.isRunning }

    /// Descriptors, resident memory and CPU time of the process, from /proc.
    public var statistics: ProcessStatistics { ProcessStatistics(child.processIdentifier) }

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
