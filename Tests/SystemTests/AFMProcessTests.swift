import FleetTestSupport
import Foundation
import Testing

/// The real `afm` executable, as an operator runs it.
@Suite("afm process")
struct AFMProcessTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afm-system-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func taskJSON(_ id: String, type: String = "wait") -> String {
        #"{"task_id":"\#(id)","test_id":"de305d54-75b4-431b-adb2-eb6b9e546013","task_type":"\#(type)","task_version":1,"task_data":{"time":0.1}}"#
    }

    @Test("with nothing configured, afm keeps tasks in afm.sqlite in its working directory, across restarts")
    func embeddedStoreByDefault() async throws {
        let directory = try Self.temporaryDirectory()
        let taskID = UUID().uuidString.lowercased()
        let first = try AFMProcess(workingDirectory: directory)
        try await first.waitUntilServing()
        #expect(try await HTTP.post(first.baseURL.appendingPathComponent("task"), json: Self.taskJSON(taskID)).status == 200)
        #expect(await first.terminate() == 0, "SIGTERM should end afm gracefully with status 0")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("afm.sqlite").path))

        let second = try AFMProcess(workingDirectory: directory)
        try await second.waitUntilServing()
        let read = try await HTTP.get(second.baseURL.appendingPathComponent("task/\(taskID)"))
        #expect(read.status == 200)
        #expect(String(decoding: read.body, as: UTF8.self).contains(taskID))
        await second.terminate()
    }

    @Test("a configuration file in the original KEY = value format is read, and the environment wins over it")
    func configurationFile() async throws {
        let directory = try Self.temporaryDirectory()
        let file = directory.appendingPathComponent("afm.cfg")
        try """
            # SLAMon AFM settings
            SQLALCHEMY_DATABASE_URI = 'sqlite:///from-file.sqlite'
            AGENT_RETURN_TIME = 5  # seconds
            AUTO_CREATE = True
            AUTO_CLEANUP = False
            """.write(to: file, atomically: true, encoding: .utf8)
        let afm = try AFMProcess(
            arguments: ["--config", file.path], environment: ["AGENT_ACTIVE_THRESHOLD": "30"], workingDirectory: directory)
        try await afm.waitUntilServing()
        let poll = #"{"protocol":1,"agent_id":"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9","agent_name":"a","agent_time":"t","agent_capabilities":{},"max_tasks":0}"#
        let before = Date()
        let answer = try await HTTP.post(afm.baseURL.appendingPathComponent("tasks"), json: poll)
        let text = String(decoding: answer.body, as: UTF8.self)
        let returnTime = try #require(text.firstMatch(of: /"return_time":"([^"]+)"/)?.1)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(formatter.date(from: String(returnTime)))
        #expect(abs(parsed.timeIntervalSince(before) - 5) < 2)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("from-file.sqlite").path))
        await afm.terminate()
    }

    struct BadConfiguration: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        let environment: [String: String]
        let fileContents: String?
        let mentions: String
        var testDescription: String { name }
    }

    static let badConfigurations: [BadConfiguration] = [
        .init(name: "non-numeric AGENT_RETURN_TIME", arguments: [], environment: ["AGENT_RETURN_TIME": "soon"], fileContents: nil, mentions: "AGENT_RETURN_TIME"),
        .init(name: "negative AGENT_ACTIVE_THRESHOLD", arguments: [], environment: ["AGENT_ACTIVE_THRESHOLD": "-1"], fileContents: nil, mentions: "AGENT_ACTIVE_THRESHOLD"),
        .init(name: "DATABASE_POOL_SIZE of 0", arguments: [], environment: ["DATABASE_POOL_SIZE": "0"], fileContents: nil, mentions: "DATABASE_POOL_SIZE"),
        .init(name: "unknown LOG_LEVEL", arguments: [], environment: ["LOG_LEVEL": "LOUD"], fileContents: nil, mentions: "LOG_LEVEL"),
        .init(name: "AUTO_CREATE that is not a boolean", arguments: [], environment: ["AUTO_CREATE": "maybe"], fileContents: nil, mentions: "AUTO_CREATE"),
        .init(name: "unsupported database", arguments: [], environment: ["AFM_DB_URI": "mysql://x@y/z"], fileContents: nil, mentions: "AFM_DB_URI"),
        .init(name: "malformed --database-uri", arguments: ["--database-uri", "postgresql://u@h:notaport/d"], environment: [:], fileContents: nil, mentions: "--database-uri"),
        .init(name: "missing configuration file", arguments: ["--config", "/nonexistent/afm.cfg"], environment: [:], fileContents: nil, mentions: "/nonexistent/afm.cfg"),
        .init(name: "broken configuration file line", arguments: [], environment: [:], fileContents: "AGENT_RETURN_TIME = 60\nthis is not a setting\n", mentions: "line 2"),
        .init(name: "configuration file value of the wrong kind", arguments: [], environment: [:], fileContents: "AGENT_RETURN_TIME = 'often'\n", mentions: "AGENT_RETURN_TIME"),
        .init(name: "AGENT_RETURN_TIME of 0", arguments: [], environment: ["AGENT_RETURN_TIME": "0"], fileContents: nil, mentions: "AGENT_RETURN_TIME (environment): '0' must be a number of seconds above 0"),
        .init(name: "HTTP_IDLE_TIMEOUT that is not a number", arguments: [], environment: ["HTTP_IDLE_TIMEOUT": "long"], fileContents: nil, mentions: "HTTP_IDLE_TIMEOUT"),
        .init(name: "TASK_RUN_TIMEOUT that is not a number", arguments: [], environment: ["TASK_RUN_TIMEOUT": "an hour"], fileContents: nil, mentions: "TASK_RUN_TIMEOUT"),
        .init(name: "MAX_CONNECTIONS of 0", arguments: [], environment: ["MAX_CONNECTIONS": "0"], fileContents: nil, mentions: "MAX_CONNECTIONS"),
        .init(name: "PostgreSQL that refuses connections", arguments: [], environment: ["AFM_DB_URI": "postgresql://afm@127.0.0.1:1/afm"], fileContents: nil, mentions: "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused (database URI from AFM_DB_URI"),
        .init(name: "PostgreSQL host that does not exist", arguments: ["--database-uri", "postgresql://afm@no-such-host.invalid/afm"], environment: [:], fileContents: nil, mentions: "no-such-host.invalid:5432: host no-such-host.invalid not found (database URI from --database-uri)"),
    ]

    @Test("an invalid setting stops afm with one line naming it", arguments: badConfigurations)
    func invalidConfiguration(_ bad: BadConfiguration) async throws {
        let directory = try Self.temporaryDirectory()
        var environment = bad.environment
        if let contents = bad.fileContents {
            let file = directory.appendingPathComponent("afm.cfg")
            try contents.write(to: file, atomically: true, encoding: .utf8)
            environment["SLAMON_AFM_CFG"] = file.path
        }
        let (status, stderr) = try await runAFM(bad.arguments + ["run", "127.0.0.1", String(try freeLoopbackPort())], environment: environment, workingDirectory: directory)
        #expect(status != 0)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(stderr)")
        #expect(stderr.contains(bad.mentions), "expected a mention of \(bad.mentions): \(stderr)")
    }

    @Test("a port in use stops afm with one line naming it, before the database is touched")
    func portInUse() async throws {
        let directory = try Self.temporaryDirectory()
        let holder = try AFMProcess(environment: ["AFM_DB_URI": "sqlite://"])
        defer { holder.requestStop() }
        try await holder.waitUntilServing()
        let (status, stderr) = try await runAFM(["run", "127.0.0.1", String(holder.port)], workingDirectory: directory)
        #expect(status == 1)
        #expect(stderr == "afm: cannot listen on 127.0.0.1:\(holder.port): the port is in use\n")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("afm.sqlite").path), "the database was opened")
    }

    @Test("a mistyped sub-command is not taken for a host name")
    func mistypedSubcommand() async throws {
        let (status, stderr) = try await runAFM(["serve"], workingDirectory: try Self.temporaryDirectory())
        #expect(status != 0)
        #expect(stderr.split(separator: "\n").count == 1)
        #expect(stderr.contains("'serve' is neither a sub-command (run, create-tables, drop-tables)"), "\(stderr)")
    }

    @Test("--help describes the sub-commands and every configuration key")
    func help() async throws {
        let result = try await runCommand(AFMProcess.executable, ["--help"])
        let text = result.output
        #expect(result.status == 0)
        for word in ["run", "create-tables", "drop-tables", "SQLALCHEMY_DATABASE_URI", "AFM_DB_URI", "AGENT_RETURN_TIME",
                     "AGENT_ACTIVE_THRESHOLD", "AUTO_CREATE", "LOG_LEVEL", "LOG_FILE", "SLAMON_AFM_CFG", "DATABASE_POOL_SIZE",
                     "TASK_DEFAULT_TTL", "TASK_MAX_ATTEMPTS", "TASK_RUN_TIMEOUT", "AFM_BPMS_TOKENS", "AFM_AGENT_TOKENS", "AFM_VIEWER_TOKENS", "HTTP_IDLE_TIMEOUT",
                     "HTTP_REQUEST_TIMEOUT", "MAX_CONNECTIONS"] {
            #expect(text.contains(word), "--help does not mention \(word)")
        }
    }

    @Test("create-tables and drop-tables manage the schema of the configured database; LOG_FILE receives the log")
    func tableCommands() async throws {
        let directory = try Self.temporaryDirectory()
        let logFile = directory.appendingPathComponent("afm.log")
        let environment = ["DATABASE_URI": "sqlite:///fleet.sqlite", "AUTO_CREATE": "False", "LOG_FILE": logFile.path]
        #expect(try await runAFM(["create-tables"], environment: environment, workingDirectory: directory).status == 0)
        // AUTO_CREATE is off: afm serves on the tables create-tables made.
        let afm = try AFMProcess(environment: environment, workingDirectory: directory)
        try await afm.waitUntilServing()
        #expect(try await HTTP.post(afm.baseURL.appendingPathComponent("task"), json: Self.taskJSON(UUID().uuidString)).status == 200)
        await afm.terminate()
        #expect(try await runAFM(["drop-tables"], environment: environment, workingDirectory: directory).status == 0)
        let afterDrop = try AFMProcess(environment: environment, workingDirectory: directory)
        try await afterDrop.waitUntilServing()
        #expect(try await HTTP.get(afterDrop.baseURL.appendingPathComponent("status")).status == 500)
        await afterDrop.terminate()
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(log.contains("tables created") && log.contains("tables dropped"))
    }
}
