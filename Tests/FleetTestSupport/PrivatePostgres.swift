import Foundation

/// A PostgreSQL server of a test's own, that the test may stop and start (to show how `afm` behaves when the
/// database goes away). Started with the repository's `scripts/test-postgres.sh`.
public final class PrivatePostgres: Sendable {
    public let uri: String
    private let directory: URL

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-postgres.sh")

    public init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("afm-private-pg-\(UUID().uuidString)")
        uri = try await Self.run(["start", directory.path]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() async throws { _ = try await Self.run(["stop", directory.path]) }
    public func resume() async throws { _ = try await Self.run(["resume", directory.path]) }

    // Output goes through a file (runCommand), not a pipe: the server the script starts would inherit the pipe and
    // keep it open, so reading it to the end would never finish.
    private static func run(_ arguments: [String]) async throws -> String {
        let result = try await runCommand(URL(fileURLWithPath: "/bin/bash"), [script.path] + arguments)
        guard result.status == 0 else {
            throw Failure("scripts/test-postgres.sh \(arguments.joined(separator: " ")) failed with status \(result.status): \(result.errors)")
        }
        return result.output
    }

    deinit {
        // Nothing can be awaited here: the server is told to stop fast and its folder removed by a
        // script left to finish on its own.
        let stop = Process()
        stop.executableURL = URL(fileURLWithPath: "/bin/bash")
        stop.arguments = ["-c", "bash \"$0\" stop \"$1\"; rm -rf \"$1\"", Self.script.path, directory.path]
        stop.standardOutput = FileHandle.nullDevice
        stop.standardError = FileHandle.nullDevice
        try? stop.run()
    }
}
