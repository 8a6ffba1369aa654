#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that they survive a crash or a power cut: write to a temporary name, fsync, rename over the
/// target, fsync the directory. A reader sees the old file or the new one, never a part.
enum DurableFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let temporary = path + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let error = failure("cannot write \(temporary)")
                close(descriptor)
                throw error
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("cannot sync \(temporary)")
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw failure("cannot rename \(temporary) to \(path)") }
        try syncDirectory(of: path)
    }

    /// Creates empty files (markers) in one directory, then syncs that directory once: a marker carries nothing but
    /// its name, so only the directory entry must last.
    static func createEmpty(_ paths: [String]) throws(Failure) {
        guard let first = paths.first else { return }
        for path in paths {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw failure("cannot create \(path)") }
            close(descriptor)
        }
        try syncDirectory(of: first)
    }

    static func remove(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("cannot remove \(path)") }
        try syncDirectory(of: path)
    }

    private static func syncDirectory(of path: String) throws(Failure) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let descriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open directory \(directory)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync directory \(directory)") }
    }

    private static func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno)))")
    }
}

/// `write(2)`, named apart from `DurableFile.write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
