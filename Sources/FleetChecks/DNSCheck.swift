import Foundation
import JSON
import JSONSchema
import NIOCore

/// `dns@1`: asks a DNS server (the first `nameserver` of /etc/resolv.conf unless the check names one) for one
/// record type of a name, and checks the response code and the answers: `assert.rcode` (default NOERROR),
/// `assert.answers` (exactly this set, in any order), `assert.answers_match` (each answer matches) and
/// `assert.min_answers`.
public struct DNSCheck: Sendable {
    let name: String
    let type: DNSRecordType
    let server: String?
    let port: Int
    let limits: CheckLimits
    let rcode: String
    let answerSet: Set<String>?
    let answersMatch: Pattern?
    let minAnswers: Int

    public init(_ data: JSONValue) throws(CheckDataError) {
        guard let name = data["name"]?.stringValue, !name.isEmpty else { throw CheckDataError("name must be a domain name") }
        self.name = name
        let typeName = data["record_type"]?.stringValue ?? "A"
        guard let type = DNSRecordType(rawValue: typeName.uppercased()) else { throw CheckDataError("record_type \(typeName) is not one of A, AAAA, CNAME, MX, TXT, NS, SOA") }
        self.type = type
        server = data["server"]?.stringValue
        port = Int(data["port"]?.numberValue?.int64Value ?? 53)
        limits = try CheckLimits(data)
        let rules = data["assert"]
        rcode = (rules?["rcode"]?.stringValue ?? "NOERROR").uppercased()
        answerSet = rules?["answers"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
        if let source = rules?["answers_match"] {
            guard let text = source.stringValue, let pattern = try? Pattern(text) else {
                throw CheckDataError("assert.answers_match must be a valid regular expression (ECMA-262)")
            }
            answersMatch = pattern
        } else {
            answersMatch = nil
        }
        minAnswers = Int(rules?["min_answers"]?.numberValue?.int64Value ?? 0)
        _ = try DNSMessage.query(id: 0, name: name, type: type)
    }

    public func run() async -> CheckOutcome {
        let timer = PhaseTimer()
        let deadline = limits.deadline(from: timer)
        var outcome = CheckOutcome()
        do throws(CheckFailure) {
            let host = server ?? Self.systemServer()
            guard let address = HostResolver.literal(host, port: port) else {
                throw CheckFailure("server must be an IP address: \(host)")
            }
            outcome.details["server"] = .string(CheckConnection.describe(address))
            let id = UInt16.random(in: 0...UInt16.max)
            let query: [UInt8]
            do { query = try DNSMessage.query(id: id, name: name, type: type) } catch { throw CheckFailure(error.description) }
            let answer = try await DNSExchange.ask(query, id: id, server: address, deadline: deadline)
            let answers = answer.answers.filter { $0.type == type.code }.map(\.text)
            outcome.details["rcode"] = .string(answer.rcodeName)
            outcome.details["answers"] = .array(answers.map { .string($0) })
            // CNAMEs a server followed on the way are shown too, when another type was asked for.
            let chain = answer.answers.filter { $0.type != type.code }.map(\.text)
            if !chain.isEmpty { outcome.details["via"] = .array(chain.map { .string($0) }) }
            judge(rcode: answer.rcodeName, answers: answers, into: &outcome)
        } catch {
            outcome.fail(error.description)
        }
        outcome.durationSeconds = timer.elapsed
        return outcome
    }

    private func judge(rcode got: String, answers: [String], into outcome: inout CheckOutcome) {
        if got != rcode { outcome.fail("assert.rcode: \(got), not \(rcode)") }
        if let answerSet, Set(answers) != answerSet {
            outcome.fail("assert.answers: got [\(answers.joined(separator: ", "))], not [\(answerSet.sorted().joined(separator: ", "))]")
        }
        if let answersMatch, let first = answers.first(where: { answersMatch.match($0) != .matched }) {
            outcome.fail("assert.answers_match: \(first) does not match /\(answersMatch.source)/")
        }
        if answers.count < minAnswers { outcome.fail("assert.min_answers: \(answers.count) answers, under \(minAnswers)") }
    }

    /// The first name server the system is set to use; 127.0.0.1 when none is named.
    static func systemServer() -> String {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: \.isWhitespace)
            if words.count >= 2, words[0] == "nameserver" { return String(words[1].split(separator: "%").first ?? words[1]) }
        }
        return "127.0.0.1"
    }
}
