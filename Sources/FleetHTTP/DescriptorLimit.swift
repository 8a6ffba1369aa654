import Foundation

/// The process's open-file limit, which bounds how many connections `afm` can hold.
public enum DescriptorLimit {
    /// Descriptors kept for everything but client connections: database connections, the log, the SQLite files,
    /// and a connection past the limit long enough to answer it 503.
    static let reserve = 128

    #if os(Linux)
    private static let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let openFiles = RLIMIT_NOFILE
    #endif

    /// Raises the soft limit to the hard one, as servers that hold many connections do. `afm run` calls it first,
    /// whatever `MAX_CONNECTIONS` says: the database and the log need descriptors too.
    public static func raise() {
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(openFiles, &limit)
    }

    /// The soft limit in force.
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }

    /// `MAX_CONNECTIONS` when not set: what the descriptor limit leaves after the reserve, at most 65,536.
    public static var defaultMaxConnections: Int { max(16, min(current - reserve, 65_536)) }
}
