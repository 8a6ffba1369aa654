import Foundation
import JSON
import JSONSchema
import NIOCore
import NIOPosix
import NIOHTTP1

/// `http@1`: one HTTP/1.1 request (following redirects when asked), timed phase by phase on the real connection,
/// and the assertions on its answer. Every request opens its own connection, as a probe from outside would.
public struct HTTPCheck: Sendable {
    /// Body bytes kept for `body_matches`, `body_not_matches` and `json`; the rest is read and counted only.
    static let keptBodyBytes = 1 << 20
    static let maximumRedirects = 20

    let url: URL
    let method: HTTPMethod
    let headers: [(String, String)]
    let body: [UInt8]
    let followRedirects: Bool
    let maxRedirects: Int
    let limits: CheckLimits
    let tls: TLSOptions
    let assertions: HTTPAssertions

    public init(_ data: JSONValue) throws(CheckDataError) {
        guard let text = data["url"]?.stringValue, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else { throw CheckDataError("url must be an http or https URL") }
        self.url = url
        method = HTTPMethod(rawValue: (data["method"]?.stringValue ?? "GET").uppercased())
        var headers: [(String, String)] = []
        for (name, value) in data["headers"]?.objectValue ?? [:] {
            guard let value = value.stringValue else { throw CheckDataError("headers.\(name) must be a string") }
            headers.append((name, value))
        }
        if let auth = data["auth"] {
            if let token = auth["bearer"]?.stringValue {
                headers.append(("Authorization", "Bearer \(token)"))
            } else if let user = auth["username"]?.stringValue {
                let pair = Data("\(user):\(auth["password"]?.stringValue ?? "")".utf8).base64EncodedString()
                headers.append(("Authorization", "Basic \(pair)"))
            }
        }
        self.headers = headers
        body = Array((data["body"]?.stringValue ?? "").utf8)
        followRedirects = data["follow_redirects"]?.boolValue ?? true
        maxRedirects = Int(data["max_redirects"]?.numberValue?.int64Value ?? 10)
        guard (0...Self.maximumRedirects).contains(maxRedirects) else { throw CheckDataError("max_redirects must be 0 to \(Self.maximumRedirects)") }
        limits = try CheckLimits(data)
        tls = TLSOptions(data["tls"])
        assertions = try HTTPAssertions(data["assert"])
    }

    public func run() async -> CheckOutcome {
        var total = PhaseTimer()
        let deadline = limits.deadline(from: total)
        var outcome = CheckOutcome()
        var current = url
        var method = method
        var body = body
        var redirects = 0
        var last: (result: HTTPExchangeResult, connection: CheckConnection)?
        while true {
            do throws(CheckFailure) {
                last = try await exchange(current, method: method, body: body, deadline: deadline, timer: &total)
            } catch {
                outcome.fail(error.description)
                last = nil
                break
            }
            let status = Int(last!.result.head.status.code)
            guard followRedirects, (300...399).contains(status), status != 304,
                let location = last!.result.head.headers.first(name: "location"),
                let next = URL(string: location, relativeTo: current)?.absoluteURL
            else { break }
            guard redirects < maxRedirects else {
                outcome.fail("more than \(maxRedirects) redirects")
                break
            }
            guard ["http", "https"].contains(next.scheme?.lowercased() ?? "") else {
                outcome.fail("redirected to \(next.absoluteString), not an http or https URL")
                break
            }
            redirects += 1
            // 303, and 301/302 after a POST, go on as GET without a body, as browsers and curl do.
            if status == 303 || ((status == 301 || status == 302) && method == .POST) {
                method = .GET
                body = []
            }
            current = next
        }
        // To the last byte when there is an answer; to the failure otherwise.
        outcome.durationSeconds = last == nil ? total.elapsed : total.measured
        outcome.details["phases"] = total.json
        outcome.details["redirects"] = .number(.integer(Int64(redirects)))
        outcome.details["url"] = .string(current.absoluteString)
        guard let (result, connection) = last else { return outcome }
        outcome.details["status"] = .number(.integer(Int64(result.head.status.code)))
        outcome.details["http_version"] = .string("\(result.head.version.major).\(result.head.version.minor)")
        outcome.details["bytes"] = .number(.integer(Int64(result.bodyBytes)))
        outcome.details["ip"] = connection.address.ipAddress.map { .string($0) }
        if let seen = connection.certificates {
            outcome.details["tls"] = .object(CertificateChecker.facts(of: seen, version: connection.tlsVersion))
        }
        if outcome.success {
            assertions.judge(result, seconds: outcome.durationSeconds, tls: outcome.details["tls"], into: &outcome)
        }
        return outcome
    }

    /// One request on a new connection.
    private func exchange(
        _ url: URL, method: HTTPMethod, body: [UInt8], deadline: ContinuousClock.Instant, timer: inout PhaseTimer
    ) async throws(CheckFailure) -> (result: HTTPExchangeResult, connection: CheckConnection) {
        let secure = url.scheme?.lowercased() == "https"
        let host = url.host ?? ""
        let port = url.port ?? (secure ? 443 : 80)
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: HTTPExchangeResult.self)
        // Completed on every way out, the connection's failure included (completing it twice does nothing).
        defer { done.fail(CheckFailure("the exchange ended")) }
        let keptBodyBytes = Self.keptBodyBytes
        let connection = try await CheckConnection.open(
            host: host, port: port, version: limits.ipVersion, tls: secure ? tls : nil, deadline: deadline, timer: &timer
        ) { channel in
            let sync = channel.pipeline.syncOperations
            let stamp = FirstByteStamp()
            try sync.addHandler(stamp)
            try sync.addHandler(HTTPRequestEncoder())
            try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
            try sync.addHandler(HTTPExchangeHandler(done: done, stamp: stamp, keptBodyBytes: keptBodyBytes))
        }
        let channel = connection.channel
        let alarm = channel.eventLoop.scheduleTask(deadline: .at(deadline)) {
            done.fail(CheckFailure("timed out waiting for the response from \(CheckConnection.describe(connection.address))"))
            channel.close(promise: nil)
        }
        defer { alarm.cancel() }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: Self.target(of: url))
        let defaultPort = secure ? 443 : 80
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (port == defaultPort ? "" : ":\(port)")
        head.headers.add(name: "Host", value: hostHeader)
        head.headers.add(name: "User-Agent", value: "afm-agent")
        head.headers.add(name: "Connection", value: "close")
        // The check's own headers win, Host included (a virtual host behind an address).
        for (name, value) in headers { head.headers.replaceOrAdd(name: name, value: value) }
        if !body.isEmpty || [.POST, .PUT, .PATCH].contains(method) { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let result: HTTPExchangeResult
        do {
            result = try await done.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw (error as? CheckFailure) ?? CheckFailure("\(error)")
        }
        timer.end("first_byte", at: result.firstByte)
        timer.end("transfer", at: result.end)
        return (result, connection)
    }

    /// The request target: path and query, `/` when there is no path.
    static func target(of url: URL) -> String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "/" }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return components.percentEncodedQuery.map { path + "?" + $0 } ?? path
    }
}
