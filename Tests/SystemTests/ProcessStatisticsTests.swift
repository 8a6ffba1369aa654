import FleetTestSupport
import Foundation
import Testing

/// What the tests learn of processes from /proc must hold on a busy machine, where tests run side by side.
@Suite("process statistics")
struct ProcessStatisticsTests {
    @Test("listens finds each of 60 listening sockets of this process, though /proc/net/tcp is far longer than a page")
    func listeningBehindManySockets() throws {
        let listeners = try (0..<60).map { _ in try LoopbackPort() }
        for listener in listeners { try listener.open() }
        #expect(procText("/proc/net/tcp").utf8.count > 8_192, "60 listening sockets fill more than two pages")
        let unseen = listeners.map(\.port).filter { !listens(processIdentifier: getpid(), port: $0) }
        #expect(unseen.isEmpty, "listening on \(60 - unseen.count) of 60 ports seen; not seen: \(unseen)")
    }
}
