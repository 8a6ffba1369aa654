import Foundation

/// What a running process uses, read from /proc: tests check that resources return to their baseline.
public struct ProcessStatistics: Sendable {
    public let processIdentifier: Int32

    public init(_ processIdentifier: Int32) {
        self.processIdentifier = processIdentifier
    }

    /// Descriptors the process has open now.
    public var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(processIdentifier)/fd").count) ?? -1
    }

    /// The soft limit of open files in force (from /proc/PID/limits).
    public var openFileLimit: Int {
        let limits = procText("/proc/\(processIdentifier)/limits")
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
        return Int(line.dropFirst("Max open files".count).split(separator: " ").first ?? "") ?? -1
    }

    /// Resident memory in MiB (VmRSS).
    public var residentMegabytes: Double {
        let status = procText("/proc/\(processIdentifier)/status")
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "").map { $0 / 1024 } ?? -1
    }

    /// CPU time the process has used so far, user and system, in seconds.
    public var cpuSeconds: Double {
        let stat = procText("/proc/\(processIdentifier)/stat")
        // Fields after the command name (which may hold spaces) start at the state, field 3; utime and stime are 14, 15.
        let fields = stat[(stat.lastIndex(of: ")") ?? stat.startIndex)...].split(separator: " ").dropFirst()
        let ticks = fields.dropFirst(11).prefix(2).compactMap { Double($0) }.reduce(0, +)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Whether process `processIdentifier` holds the socket listening on 127.0.0.1:`port` (from /proc/net/tcp and the
/// process's descriptors).
public func listens(processIdentifier: Int32, port: Int) -> Bool {
    let table = procText("/proc/net/tcp")
    let address = "0100007F:" + String(format: "%04X", port)
    let listening = table.split(separator: "\n").dropFirst().compactMap { line -> String? in
        let fields = line.split(separator: " ")
        // local_address is field 1, st field 3 (0A: LISTEN), inode field 9.
        guard fields.count > 9, fields[1] == address, fields[3] == "0A" else { return nil }
        return "socket:[\(fields[9])]"
    }
    guard !listening.isEmpty else { return false }
    let directory = "/proc/\(processIdentifier)/fd"
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return descriptors.contains { name in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")).map(listening.contains) ?? false
    }
}

/// The whole text of a /proc file. Foundation's `String(contentsOfFile:)` and `Data(contentsOf:)` give only the
/// first 4 KB of such a file (its size shows as 0): /proc/net/tcp on a busy machine holds hundreds of sockets, and an
/// afm listening past the first 4 KB was taken for another process on its port.
public func procText(_ path: String) -> String {
    guard let file = FileHandle(forReadingAtPath: path) else { return "" }
    defer { try? file.close() }
    return (try? file.readToEnd()).flatMap { String(data: $0, encoding: .utf8) } ?? ""
}
