import Foundation

/// Checks the address `afm run` is to listen on before anything else starts, so that a port in use or a host that
/// is not this machine's stops `afm` with one line naming it, before migrations run and in well under a second.
enum ListenAddress {
    /// A host name without a dot is looked up only among this machine's own names: a mistyped sub-command
    /// (`afm serve`) is said to be one, instead of waiting for a DNS server.
    static func check(host: String, port: Int) -> String? {
        if !isNumeric(host) && !host.contains(".") && !localNames().contains(host.lowercased()) {
            return "afm: '\(host)' is neither a sub-command (run, create-tables, drop-tables) nor a name of this machine to listen on"
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            return "afm: cannot listen on \(host):\(port): no such address"
        }
        defer { freeaddrinfo(found) }
        let socketDescriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socketDescriptor >= 0 else { return nil }
        defer { close(socketDescriptor) }
        var reuse: Int32 = 1
        // As the server binds: SO_REUSEADDR, so a port left in TIME_WAIT by a previous afm is not "in use".
        setsockopt(socketDescriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        guard bind(socketDescriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = errno == EADDRINUSE ? "the port is in use" : String(cString: strerror(errno)).lowercased()
            return "afm: cannot listen on \(host):\(port): \(reason)"
        }
        return nil
    }

    private static func isNumeric(_ host: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
    }

    /// `localhost`, the machine's host name and the names in /etc/hosts.
    private static func localNames() -> Set<String> {
        var names: Set<String> = ["localhost"]
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            names.insert(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased())
        }
        let hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ""
        for line in hosts.split(separator: "\n") {
            let fields = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            for name in fields.dropFirst() { names.insert(name.lowercased()) }
        }
        return names
    }
}
