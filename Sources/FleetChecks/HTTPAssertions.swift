import JSON
import JSONSchema

/// What an `http@1` answer must satisfy (`assert`), checked in a fixed order; the first that fails is the reason.
struct HTTPAssertions: Sendable {
    var status = StatusRule.successful
    var bodyMatches: Pattern?
    var bodyNotMatches: Pattern?
    var headers: [(name: String, pattern: Pattern)] = []
    var json: [JSONBodyRule] = []
    var maxSeconds: Double?
    var degradedSeconds: Double?
    var tlsDaysLeftMin: Double?

    init(_ data: JSONValue?) throws(CheckDataError) {
        guard let data else { return }
        if let rule = data["status"] { status = try StatusRule(rule) }
        bodyMatches = try Self.pattern(data["body_matches"], "assert.body_matches")
        bodyNotMatches = try Self.pattern(data["body_not_matches"], "assert.body_not_matches")
        for (name, source) in (data["headers"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let pattern = try Self.pattern(source, "assert.headers.\(name)") else { continue }
            headers.append((name, pattern))
        }
        for entry in data["json"]?.arrayValue ?? [] { json.append(try JSONBodyRule(entry)) }
        maxSeconds = data["max_seconds"]?.numberValue?.doubleValue
        degradedSeconds = data["degraded_seconds"]?.numberValue?.doubleValue
        tlsDaysLeftMin = data["tls_days_left_min"]?.numberValue?.doubleValue
    }

    private static func pattern(_ value: JSONValue?, _ name: String) throws(CheckDataError) -> Pattern? {
        guard let value else { return nil }
        guard let source = value.stringValue, let pattern = try? Pattern(source) else {
            throw CheckDataError("\(name) must be a valid regular expression (ECMA-262)")
        }
        return pattern
    }

    func judge(_ answer: HTTPExchangeResult, seconds: Double, tls: JSONValue?, into outcome: inout CheckOutcome) {
        let code = Int(answer.head.status.code)
        if !status.admits(code) { outcome.fail("assert.status: \(code) is not \(status)") }
        for (name, pattern) in headers {
            let values = answer.head.headers[name]
            if values.isEmpty {
                outcome.fail("assert.headers.\(name): no \(name) header")
            } else if !values.contains(where: { pattern.match($0) == .matched }) {
                outcome.fail("assert.headers.\(name): \(values.joined(separator: ", ")) does not match /\(pattern.source)/")
            }
        }
        let text = String(decoding: answer.body, as: UTF8.self)
        if let pattern = bodyMatches {
            switch pattern.match(text) {
            case .matched: break
            case .notMatched: outcome.fail("assert.body_matches: the body does not match /\(pattern.source)/")
            case .timedOut: outcome.fail("assert.body_matches: /\(pattern.source)/ took over \(Pattern.timeBudget) on the body")
            }
        }
        if let pattern = bodyNotMatches {
            switch pattern.match(text) {
            case .notMatched: break
            case .matched: outcome.fail("assert.body_not_matches: the body matches /\(pattern.source)/")
            case .timedOut: outcome.fail("assert.body_not_matches: /\(pattern.source)/ took over \(Pattern.timeBudget) on the body")
            }
        }
        if !json.isEmpty {
            if let document = try? JSONParser.parse(answer.body) {
                for rule in json { if let violation = rule.violation(in: document) { outcome.fail(violation) } }
            } else {
                outcome.fail("assert.json: the body is not JSON" + (answer.bodyBytes > answer.body.count ? " (or over 1 MiB)" : ""))
            }
        }
        if let maxSeconds, seconds > maxSeconds {
            outcome.fail("assert.max_seconds: took \(Seconds.rounded(seconds)) s, over \(maxSeconds) s")
        }
        if let tlsDaysLeftMin {
            if let days = tls?["days_left"]?.numberValue?.doubleValue {
                if days < tlsDaysLeftMin { outcome.fail("assert.tls_days_left_min: the certificate expires in \(days) days, under \(tlsDaysLeftMin)") }
            } else {
                outcome.fail("assert.tls_days_left_min: no certificate (not HTTPS)")
            }
        }
        if let degradedSeconds {
            outcome.details["degraded"] = .bool(seconds > degradedSeconds)
        }
    }
}
