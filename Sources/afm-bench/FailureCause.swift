import NIOCore
import NIOPosix

/// A short text that names why a request failed, for the error tally: the kind of failure alone ("NIOConnectionError")
/// says nothing a user can act on, so connection failures name the address and the system's reason.
enum FailureCause {
    static func text(of error: any Error) -> String {
        switch error {
        case let failure as NIOConnectionError:
            if let lookup = failure.dnsAError ?? failure.dnsAAAAError {
                return "cannot resolve \(failure.host): \(lookup)"
            }
            let attempts = failure.connectionErrors.map { "\($0.target): \($0.error)" }
            return "cannot connect to \(failure.host):\(failure.port)"
                + (attempts.isEmpty ? " (no address to try)" : " (" + attempts.joined(separator: "; ") + ")")
        case let failure as IOError:
            return "I/O error: \(failure)"
        case let failure as BenchConnectionError:
            return "\(failure)"
        default:
            return "\(type(of: error)): \(error)"
        }
    }
}
