import Foundation
import JSON
import JSONSchema

/// Runs test files laid out like one draft folder of the official JSON-Schema-Test-Suite: each file holds groups
/// of `{description, schema, tests: [{description, data, valid}]}`.
///
/// Files under a `format` folder are run with format assertion on, as the suite intends; the rest with `format`
/// as an annotation. Remote documents (the suite's `remotes` folder) are served from the registry under
/// `http://localhost:1234/`.
public struct SuiteRunner {
    public struct Outcome: Sendable {
        /// `file.json: group / test`, relative to the folder run.
        public let name: String
        public let passed: Bool
        /// Why it failed: the verdict that was wrong, or the schema's compile error.
        public let detail: String
    }

    public let dialect: Dialect
    public let registry: SchemaRegistry

    public init(dialect: Dialect, remotes: URL?) throws {
        self.dialect = dialect
        var registry = SchemaRegistry()
        if let remotes = remotes.map(Self.canonical) {
            for file in try Self.jsonFiles(in: remotes) {
                let relative = file.path.dropFirst(remotes.path.count).drop { $0 == "/" }
                registry.add(try Self.parse(file), uri: "http://localhost:1234/" + relative)
            }
        }
        self.registry = registry
    }

    /// Every test of every file in `folder` (recursively), sorted by name.
    public func run(folder: URL, includeOptional: Bool = true) throws -> [Outcome] {
        let folder = Self.canonical(folder)
        var outcomes: [Outcome] = []
        for file in try Self.jsonFiles(in: folder) {
            let relative = String(file.path.dropFirst(folder.path.count).drop { $0 == "/" })
            let components = relative.split(separator: "/")
            if !includeOptional && components.contains("optional") { continue }
            let assertsFormats = components.dropLast().contains("format")
            outcomes += try run(file: file, named: relative, assertsFormats: assertsFormats)
        }
        return outcomes
    }

    public func run(file: URL, named name: String, assertsFormats: Bool) throws -> [Outcome] {
        guard case .array(let groups) = try Self.parse(file) else { throw SuiteError(file: name, reason: "not an array of test groups") }
        let options = JSONSchema.Options(defaultDialect: dialect, assertsFormats: assertsFormats, registry: registry)
        var outcomes: [Outcome] = []
        for group in groups {
            guard case .string(let groupName)? = group["description"], let schemaDocument = group["schema"],
                case .array(let tests)? = group["tests"]
            else { throw SuiteError(file: name, reason: "malformed test group") }
            let compiled: Result<JSONSchema, SchemaError> = Result { () throws(SchemaError) in try JSONSchema(schemaDocument, options: options) }
            for test in tests {
                guard case .string(let testName)? = test["description"], let data = test["data"], case .bool(let expected)? = test["valid"] else {
                    throw SuiteError(file: name, reason: "malformed test in \(groupName)")
                }
                let caseName = "\(name): \(groupName) / \(testName)"
                switch compiled {
                case .failure(let error):
                    outcomes.append(Outcome(name: caseName, passed: false, detail: "schema refused: \(error)"))
                case .success(let schema):
                    let errors = schema.validate(data)
                    let verdict = schema.isValid(data)
                    let consistent = verdict == errors.isEmpty
                    let passed = verdict == expected && consistent
                    let detail = consistent
                        ? "expected \(expected ? "valid" : "invalid"), got \(verdict ? "valid" : "invalid: " + errors.map(\.description).joined(separator: "; "))"
                        : "isValid and validate disagree"
                    outcomes.append(Outcome(name: caseName, passed: passed, detail: detail))
                }
            }
        }
        return outcomes
    }

    static func jsonFiles(in folder: URL) throws -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            throw SuiteError(file: folder.path, reason: "cannot read the folder")
        }
        var files: [URL] = []
        for case let file as URL in enumerator where file.pathExtension == "json" {
            files.append(canonical(file))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Without `..` or symbolic links, so that file paths under a folder start with the folder's path.
    static func canonical(_ url: URL) -> URL {
        url.standardizedFileURL.resolvingSymlinksInPath()
    }

    static func parse(_ file: URL) throws -> JSONValue {
        try JSONParser.parse(try Data(contentsOf: file), maximumDepth: 10_000)
    }
}

public struct SuiteError: Error, CustomStringConvertible {
    public let file: String
    public let reason: String

    public var description: String { "\(file): \(reason)" }
}
