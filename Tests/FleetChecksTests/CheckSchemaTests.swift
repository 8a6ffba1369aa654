import FleetChecks
import JSON
import Foundation
import JSONSchema
import Testing

/// The schemas the agent registers: each compiles, admits the examples the README shows, and refuses what a check
/// could not run (an invalid regular expression, a pointer that is not one, an unknown member).
@Suite("check schemas")
struct CheckSchemaTests {
    static func schema(_ type: String, result: Bool = false) throws -> JSONSchema {
        let check = try #require(CheckSchemas.all.first { $0.type == type })
        return try JSONSchema(result ? check.result : check.task, options: .init(assertsFormats: true))
    }

    @Test("every task and result schema compiles")
    func compile() throws {
        for check in CheckSchemas.all {
            _ = try JSONSchema(check.task, options: .init(assertsFormats: true))
            _ = try JSONSchema(check.result, options: .init(assertsFormats: true))
        }
    }

    @Test("http task data: a full check passes; a bad regex, pointer, status or member is refused")
    func http() throws {
        let schema = try Self.schema("http")
        let good: JSONValue = [
            "url": "https://example.com/health", "method": "GET", "timeout_seconds": 5, "ip_version": "4",
            "assert": ["status": [200, "300-399", "2xx"], "body_matches": "UP", "headers": ["content-type": "json"],
                       "json": [["pointer": "/status", "value": "UP"], ["pointer": "/n", "op": ">=", "value": 1]],
                       "max_seconds": 2, "degraded_seconds": 1, "tls_days_left_min": 14],
        ]
        #expect(schema.validate(good).isEmpty, "\(schema.validate(good))")
        for bad: JSONValue in [
            ["url": "ftp://example.com"],
            ["url": "https://example.com", "assert": ["body_matches": "(unclosed"]],
            ["url": "https://example.com", "assert": ["headers": ["x": "[z-a]"]]],
            ["url": "https://example.com", "assert": ["json": [["pointer": "status", "value": 1]]]],
            ["url": "https://example.com", "assert": ["json": [["pointer": "/n", "op": ">", "value": "one"]]]],
            ["url": "https://example.com", "assert": ["json": [["pointer": "/n"]]]],
            ["url": "https://example.com", "assert": ["status": 99]],
            ["url": "https://example.com", "assert": ["status": "2XY"]],
            ["url": "https://example.com", "retries": 3],
        ] {
            #expect(!schema.validate(bad).isEmpty, "\(bad) should be refused")
        }
    }

    @Test("tcp and tls task data")
    func tcpAndTLS() throws {
        #expect(try Self.schema("tcp").validate(["host": "db", "port": 5432, "tls": true, "expect": "^OK"]).isEmpty)
        #expect(!(try Self.schema("tcp").validate(["host": "db", "port": 0])).isEmpty)
        #expect(!(try Self.schema("tcp").validate(["host": "db", "port": 22, "expect": "a{2,1}"])).isEmpty)
        #expect(try Self.schema("tls").validate(["host": "example.com", "days_left_min": 14]).isEmpty)
        #expect(!(try Self.schema("tls").validate(["port": 443])).isEmpty)
    }
}

/// `openapi.yaml` documents each check's task data and result with exactly the schemas the agent registers (a JSON
/// text is a YAML flow mapping), so that the contract cannot drift from the code.
@Suite("check schemas in openapi.yaml")
struct CheckSchemaContractTests {
    static let openAPI = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("openapi.yaml")

    @Test("each check's two schemas are components of openapi.yaml, as registered")
    func documented() throws {
        let lines = Set(try String(contentsOf: Self.openAPI, encoding: .utf8).split(separator: "\n").map(String.init))
        for check in CheckSchemas.all {
            let name = check.type.uppercased() + "Check"
            for (component, schema) in [(name, check.task), (name + "Result", check.result)] {
                let line = "    \(component): " + JSONWriter.string(from: schema)
                let documented = lines.contains(line)
                #expect(documented, "openapi.yaml needs, under components/schemas:\n\(line)")
            }
        }
    }
}
