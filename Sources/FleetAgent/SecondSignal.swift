import Dispatch
import Foundation
import Synchronization

/// A second SIGTERM or SIGINT exits at once, as the original agent does (results already in the outbox stay there for
/// the next start). The first is the service group's: a graceful stop, after which the group ignores these signals.
public final class SecondSignal: Sendable {
    private let received = Mutex(0)
    // Created in init and never reassigned; a dispatch source may be resumed and cancelled from any thread.
    nonisolated(unsafe) private let sources: [DispatchSourceSignal]
    private let onSecondSignal: @Sendable () -> Void

    /// Watches both signals beside the service group (dispatch hands a signal to every source that watches it).
    public init(onSecondSignal: @escaping @Sendable () -> Void) {
        self.onSecondSignal = onSecondSignal
        sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in sources {
            signal(Int32(source.handle), SIG_IGN)
            source.setEventHandler { [weak self] in self?.signalled() }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    private func signalled() {
        let count = received.withLock { count in
            count += 1
            return count
        }
        if count == 2 { onSecondSignal() }
    }
}
