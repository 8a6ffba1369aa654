/// A broker as `mb.urls` lists it: `host:port`, or `[IPv6 address]:port`.
public struct BrokerAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Nil unless `text` is exactly `host:port` with a port from 1 to 65535.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let hostPart: Substring
        let portPart: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]"), trimmed[trimmed.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            portPart = trimmed[trimmed.index(close, offsetBy: 2)...]
            guard hostPart.contains(":") else { return nil }
        } else {
            let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            hostPart = parts[0]
            portPart = parts[1]
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0 == " " || $0 == "/" }),
            portPart.allSatisfy(\.isASCII), let port = Int(portPart), (1...65535).contains(port)
        else { return nil }
        host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The pause after every broker failed: 2, 2, 5, 5, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50, 60 seconds, then 60
/// for ever; it starts again at every new failover.
public enum FailoverBackoff {
    public static let sequence: [Int] = [2, 2, 5, 5, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50, 60]

    /// Seconds to wait after `rounds` consecutive rounds in which every broker failed (counting from 0).
    public static func delay(afterFailedRounds rounds: Int, sequence: [Int] = sequence) -> Int {
        sequence[min(rounds, sequence.count - 1)]
    }
}

import Foundation
