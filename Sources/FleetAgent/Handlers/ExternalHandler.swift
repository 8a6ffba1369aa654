import ChildProcesses
import Foundation
import JSON

/// A handler plug-in: an executable named `TYPE@VERSION` (optionally with an extension, `disk_free@1.sh`) in the
/// handlers directory. It gets `task_data` as JSON on standard input and prints the result object as JSON on
/// standard output. A non-zero exit, output that is not a JSON object, or running longer than the timeout makes
/// the task fail, with the reason and the end of its standard error.
public struct ExternalHandler: TaskHandler {
    public let type: String
    public let version: Int
    public let executable: URL
    let timeout: Duration

    /// The most of a plug-in's output that is read; anything beyond is an error.
    static let maximumOutput = 4 << 20
    static let stderrTail = 500

    public init(type: String, version: Int, executable: URL, timeout: Duration) {
        self.type = type
        self.version = version
        self.executable = executable
        self.timeout = timeout
    }

    /// `TYPE@VERSION` or `TYPE@VERSION.ext`; nil for any other name.
    public static func parse(fileName: String) -> (type: String, version: Int)? {
        guard let at = fileName.lastIndex(of: "@") else { return nil }
        let type = String(fileName[..<at])
        let versionText = fileName[fileName.index(after: at)...].prefix { $0 != "." }
        guard !type.isEmpty, let version = Int(versionText), version >= 0 else { return nil }
        return (type, version)
    }

    public func run(_ data: JSONValue) async throws -> JSONValue {
        // Files rather than pipes: a plug-in that leaves children behind cannot keep us waiting on a pipe.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("afm-agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let input = work.appendingPathComponent("stdin.json")
        let output = work.appendingPathComponent("stdout")
        let errors = work.appendingPathComponent("stderr")
        try Data(JSONWriter.string(from: data).utf8).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = executable
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let status: TimedProcess.Status
        do {
            status = try await TimedProcess.run(process, timeout: timeout)
        } catch {
            throw HandlerFailure("cannot start \(executable.path): \(error.localizedDescription)")
        }
        let errorTail = Self.tail(of: errors)

        switch status {
        case .cancelled:
            throw CancellationError()
        case .timedOut:
            throw HandlerFailure("\(executable.lastPathComponent) did not finish within \(timeout) and was stopped" + errorTail)
        case .exited(let code) where code != 0:
            throw HandlerFailure("\(executable.lastPathComponent) exited with status \(code)" + errorTail)
        case .signalled(let signal):
            throw HandlerFailure("\(executable.lastPathComponent) was killed by signal \(signal)" + errorTail)
        case .exited:
            break
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0
        guard size <= Self.maximumOutput else {
            throw HandlerFailure("\(executable.lastPathComponent) printed more than \(Self.maximumOutput) bytes")
        }
        let bytes = try Data(contentsOf: output)
        do {
            let result = try JSONParser.parse(bytes)
            guard case .object = result else {
                throw HandlerFailure("\(executable.lastPathComponent) printed \(result.typeName), not a JSON object" + errorTail)
            }
            return result
        } catch let error as JSONParseError {
            throw HandlerFailure("\(executable.lastPathComponent) printed invalid JSON (\(error))" + errorTail)
        }
    }

    private static func tail(of file: URL) -> String {
        guard let data = try? Data(contentsOf: file), !data.isEmpty else { return "" }
        let text = String(decoding: data.suffix(stderrTail), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : "; stderr: \(text)"
    }
}
