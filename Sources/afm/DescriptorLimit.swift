import Foundation

/// The process's open-file limit, which bounds how many connections `afm` can hold.
enum DescriptorLimit {
    /// Descriptors kept for everything but client connections: database connections, the log, the SQLite files,
    /// and a connection past the limit long enough to answer it 503.
    static let reserve = 128

    #if os(Linux)
    private static let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let openFiles = RLIMIT_NOFILE
    #endif

    /// Raises the soft limit to the hard one, as servers that hold many connections do; answers the limit in force.
    @discardableResult
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(openFiles, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// `MAX_CONNECTIONS` when not set: what the descriptor limit leaves after the reserve, at most 65,536.
    static let defaultMaxConnections: Int = max(16, min(raise() - reserve, 65_536))
}
