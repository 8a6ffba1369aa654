import FleetTestSupport
import Foundation
import Testing

/// What the tests learn of processes from /proc must hold on a busy machine, where tests run side by side.
@Suite("process statistics")
struct ProcessStatisticsTests {
    @Test("listens finds each of 60 listening sockets of this process, though /proc/net/tcp is far longer than a page")
    func listeningBehindManySockets() throws {
        var descriptors: [Int32] = []
        defer { for descriptor in descriptors { close(descriptor) } }
        var ports: [Int] = []
        for _ in 0..<60 {
            let (descriptor, port) = try Self.listen()
            descriptors.append(descriptor)
            ports.append(port)
        }
        #expect(procText("/proc/net/tcp").utf8.count > 8_192, "60 listening sockets fill more than two pages")
        let unseen = ports.filter { !listens(processIdentifier: getpid(), port: $0) }
        #expect(unseen.isEmpty, "listening on \(unseen.count) of \(ports.count) ports, not seen: \(unseen)")
    }

    /// A socket listening on a free loopback port.
    static func listen() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && Foundation.listen(descriptor, 8) == 0
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard listening else {
            close(descriptor)
            throw Failure("could not listen on a loopback port")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
