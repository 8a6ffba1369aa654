import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `openapi.yaml` is the HTTP contract: every operation it lists must be served.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    static let specification = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi.yaml")

    /// (method, path) of every operation, read from the two-level `paths:` map of the YAML file.
    static func operations() throws -> [(String, String)] {
        var operations: [(String, String)] = []
        var currentPath: String?
        for line in try String(contentsOf: specification, encoding: .utf8).split(separator: "\n") {
            if let match = line.wholeMatch(of: /\ {2}(\/[^:]*):/) {
                currentPath = String(match.1)
            } else if let match = line.wholeMatch(of: /\ {4}(get|post|put|delete|patch):/), let path = currentPath {
                operations.append((match.1.uppercased(), path))
            } else if !line.hasPrefix(" ") {
                currentPath = nil
            }
        }
        return operations
    }

    @Test("every operation in openapi.yaml is routed (not the router's 404 or 405)")
    func everyOperationIsRouted() async throws {
        let operations = try Self.operations()
        #expect(operations.count == 33)
        try await ServerHarness.run { client, _ in
            for (method, path) in operations {
                let uri = path.replacingOccurrences(of: "{task_id}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{agent_id}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{type}", with: "wait").replacingOccurrences(of: "{version}", with: "1")
                    .replacingOccurrences(of: "{name}", with: "probe")
                let answer = try await client.execute(uri: uri, method: HTTPRequest.Method(method)!, body: ByteBuffer(string: "{}"))
                #expect(answer.status != .methodNotAllowed, "\(method) \(path)")
                #expect(answer.errorMessage != "not found", "\(method) \(path) is not routed")
                #expect(answer.status != .internalServerError, "\(method) \(path)")
            }
        }
    }
}
