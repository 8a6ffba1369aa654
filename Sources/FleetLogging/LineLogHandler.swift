#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON
import Logging

/// Writes one line per event, in logfmt or as JSON (`LogFormat`).
///
/// Each line is a single `write(2)` to a file opened with `O_APPEND` (or standard error), so lines from concurrent
/// tasks never interleave and no lock is needed.
public struct LineLogHandler: LogHandler {
    let label: String
    let fileDescriptor: Int32
    let format: LogFormat
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = format.line(time: Timestamp.now(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Why a log file cannot be used, as one line.
    public struct FileError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends every logger of the process to standard error, or to `path` when given.
    public static func bootstrap(level: Logger.Level, path: String?, format: LogFormat = .logfmt) throws(FileError) {
        var descriptor = STDERR_FILENO
        if let path {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw FileError(description: "cannot open \(path) for writing: \(String(cString: strerror(errno)))")
            }
        }
        let output = descriptor
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, fileDescriptor: output, format: format)
            handler.logLevel = level
            return handler
        }
    }
}
