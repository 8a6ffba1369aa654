import Foundation

/// A PostgreSQL server of a test's own, that the test may stop and start (to show how `afm` behaves when the
/// database goes away). Started with the repository's `scripts/test-postgres.sh`.
public final class PrivatePostgres: Sendable {
    public let uri: String
    private let directory: URL

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-postgres.sh")

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("afm-private-pg-\(UUID().uuidString)")
        uri = try Self.run(["start", directory.path]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() throws { _ = try Self.run(["stop", directory.path]) }
    public func resume() throws { _ = try Self.run(["resume", directory.path]) }

    private static func run(_ arguments: [String]) throws -> String {
        // Output goes through a file, not a pipe: the server the script starts would inherit the pipe and keep it
        // open, so reading it to the end would never finish.
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("afm-pg-output-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let data = try Data(contentsOf: outputFile)
        guard process.terminationStatus == 0 else {
            throw Failure("scripts/test-postgres.sh \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    deinit {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
