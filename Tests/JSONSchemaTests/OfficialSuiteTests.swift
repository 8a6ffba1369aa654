import FleetTestSupport
import Foundation
import JSONSchema
import JSONSchemaSuite
import Testing

/// The official JSON-Schema-Test-Suite, from `../shared/json-schema-test-suite` beside the repository or from
/// `JSON_SCHEMA_SUITE_DIR`. Without it (a fresh clone on its own) these tests report themselves skipped.
@Suite("Official JSON-Schema-Test-Suite")
struct OfficialSuiteTests {
    static var suiteDirectory: URL {
        if let configured = ProcessInfo.processInfo.environment["JSON_SCHEMA_SUITE_DIR"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        // Tests/JSONSchemaTests/OfficialSuiteTests.swift → the repository → its sibling ../shared.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/json-schema-test-suite")
    }

    static var isPresent: Bool {
        FileManager.default.fileExists(atPath: suiteDirectory.appendingPathComponent("draft2020-12").path)
    }

    static var skipReason: Comment {
        Comment(rawValue: "the JSON-Schema-Test-Suite is not at \(suiteDirectory.path) (set JSON_SCHEMA_SUITE_DIR, or run scripts/test beside ../shared)")
    }

    @Test("draft 2020-12: every required and optional test passes, format assertion included", .enabled(if: isPresent, skipReason))
    func draft2020() throws {
        try expectAllPass("draft2020-12", dialect: .draft2020_12)
    }

    @Test("draft-07: every required and optional test passes, format assertion included", .enabled(if: isPresent, skipReason))
    func draft7() throws {
        try expectAllPass("draft7", dialect: .draft7)
    }

    func expectAllPass(_ folder: String, dialect: Dialect) throws {
        let root = Self.suiteDirectory
        let runner = try SuiteRunner(dialect: dialect, remotes: root.appendingPathComponent("remotes"))
        let outcomes = try runner.run(folder: root.appendingPathComponent(folder))
        let required = outcomes.filter { !$0.name.hasPrefix("optional/") }
        #expect(required.count > 900, "the required tests were not all found")
        #expect(outcomes.count > required.count, "the optional tests were not found")
        let failures = outcomes.filter { !$0.passed }
        let report = failures.map { "\($0.name): \($0.detail)" }.joined(separator: "\n")
        #expect(failures.isEmpty, "\(failures.count) of \(outcomes.count) failed:\n\(report)")
    }
}

@Suite("jsonschema-suite executable")
struct SuiteExecutableTests {
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("jsonschema-suite")

    @Test("runs a folder of test files and ends with 'N passed, N failed', failures listed above it")
    func countsAndFailures() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("suite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("optional/format"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try #"""
            [{"description": "integers", "schema": {"type": "integer"}, "tests": [
                {"description": "one", "data": 1, "valid": true},
                {"description": "a string", "data": "x", "valid": false},
                {"description": "a deliberately wrong expectation", "data": 2, "valid": false}]}]
            """#.write(to: folder.appendingPathComponent("type.json"), atomically: true, encoding: .utf8)
        try #"""
            [{"description": "dates", "schema": {"format": "date"}, "tests": [
                {"description": "not a date", "data": "2026-02-30", "valid": false}]}]
            """#.write(to: folder.appendingPathComponent("optional/format/date.json"), atomically: true, encoding: .utf8)

        let (status, output) = try await run([folder.path, "--dialect", "2020-12"])
        let lines = output.split(separator: "\n")
        #expect(lines.last == "3 passed, 1 failed")
        #expect(lines.first?.hasPrefix("FAIL type.json: integers / a deliberately wrong expectation") == true)
        #expect(status == 1)

        let (requiredStatus, requiredOutput) = try await run([folder.path, "--required-only"])
        #expect(requiredOutput.split(separator: "\n").last == "2 passed, 1 failed")
        #expect(requiredStatus == 1)
    }

    @Test("an unknown dialect or a missing folder stops with a clear message")
    func badArguments() async throws {
        let (status, output) = try await run(["/nonexistent-folder"])
        #expect(status != 0)
        #expect(output.contains("/nonexistent-folder is not a folder"))
        let (dialectStatus, dialectOutput) = try await run(["/tmp", "--dialect", "draft3"])
        #expect(dialectStatus != 0)
        #expect(dialectOutput.contains("unknown dialect draft3"))
    }

    func run(_ arguments: [String]) async throws -> (Int32, String) {
        let result = try await runCommand(Self.executable, arguments)
        return (result.status, result.output + result.errors)
    }
}
