import Foundation

/// A real Mosquitto broker on a free loopback port, started from the `mosquitto` executable (Debian's package),
/// optionally requiring a username and password.
public final class MosquittoBroker: Sendable {
    public let port: Int
    public let directory: URL
    private let child: ChildProcess

    public static var isInstalled: Bool {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static let skipReason = "mosquitto is not installed (apt-get install mosquitto mosquitto-clients), so MQTT tests cannot run; use the README's test command"

    public init(port: Int? = nil, username: String? = nil, password: String? = nil) async throws {
        self.port = try port ?? freeLoopbackPort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Everything logged, so that tests can see what the broker received (PUBLISH, SUBSCRIBE) from whom.
        var config = "listener \(self.port) 127.0.0.1\npersistence false\nlog_type all\n"
        if let username, let password {
            let passwords = directory.appendingPathComponent("passwords")
            try "\(username):\(password)\n".write(to: passwords, atomically: true, encoding: .utf8)
            let hash = try await runCommand(URL(fileURLWithPath: "/usr/bin/mosquitto_passwd"), ["-U", passwords.path])
            guard hash.status == 0 else { throw Failure("mosquitto_passwd failed: \(hash.errors)") }
            config += "allow_anonymous false\npassword_file \(passwords.path)\n"
        } else {
            config += "allow_anonymous true\n"
        }
        let configFile = directory.appendingPathComponent("mosquitto.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let process = Process()
        let executable = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }!
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", configFile.path]
        let log = directory.appendingPathComponent("mosquitto.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        child = try ChildProcess(starting: process)
        // Ready when the port accepts connections.
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while !Self.accepts(port: self.port) {
            guard ContinuousClock.now < deadline, child.isRunning else { throw Failure("mosquitto did not start on port \(self.port)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public var address: String { "127.0.0.1:\(port)" }

    /// The broker's log so far.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    /// Waits until the broker's log contains `text`; fails after `timeout`.
    public func waitForLog(containing text: String, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !log.contains(text) {
            guard ContinuousClock.now < deadline else { throw Failure("the broker did not log '\(text)' within \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func kill() async {
        await child.kill()
    }

    static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    deinit {
        child.signal(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// `mosquitto_sub`, an independent subscriber: collects what arrives on `topic` as lines `TOPIC PAYLOAD`. Ready once
/// the broker has logged its subscription.
public final class IndependentSubscriber: Sendable {
    private let child: ChildProcess
    private let output: URL

    public init(broker: MosquittoBroker, topic: String, username: String? = nil, password: String? = nil) async throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-sub-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let clientID = "independent-subscriber-\(UUID().uuidString.prefix(8))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        var arguments = ["-h", "127.0.0.1", "-p", String(broker.port), "-i", clientID, "-t", topic, "-v", "-q", "1"]
        if let username, let password { arguments += ["-u", username, "-P", password] }
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        child = try ChildProcess(starting: process)
        try await broker.waitForLog(containing: "Received SUBSCRIBE from \(clientID)")
    }

    public var lines: [String] {
        ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    deinit {
        child.signal(SIGTERM)
        try? FileManager.default.removeItem(at: output)
    }
}
