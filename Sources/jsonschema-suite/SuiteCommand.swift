import ArgumentParser
import Foundation
import JSONSchema
import JSONSchemaSuite

/// Runs a folder of JSON-Schema-Test-Suite files and prints `N passed, N failed`, failures above it.
@main
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jsonschema-suite",
        abstract: "Run JSON-Schema-Test-Suite files against the AgentFleet JSON Schema validator.",
        discussion: """
            DIR is laid out like one draft folder of the suite (e.g. tests/draft2020-12). Every .json file in it is \
            run, subfolders included; files under a "format" folder are run with format assertion on. Remote \
            documents are read from --remotes (default: DIR/../remotes, when it exists) and served under \
            http://localhost:1234/. The exit status is 1 when any test failed.
            """)

    @Argument(help: "The folder of test files.")
    var directory: String

    @Option(help: "The dialect of schemas without $schema: 2020-12, 2019-09 or draft7.")
    var dialect: String = "2020-12"

    @Option(help: "The folder of remote documents.")
    var remotes: String?

    @Flag(help: "Skip the optional folder.")
    var requiredOnly = false

    mutating func run() throws {
        guard let selected = Dialect(rawValue: dialect) else {
            throw ValidationError("unknown dialect \(dialect); use 2020-12, 2019-09 or draft7")
        }
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a folder")
        }
        var remotesFolder = remotes.map { URL(fileURLWithPath: $0) }
        if remotesFolder == nil {
            let sibling = folder.deletingLastPathComponent().appendingPathComponent("remotes")
            if FileManager.default.fileExists(atPath: sibling.path) { remotesFolder = sibling }
        }
        let runner = try SuiteRunner(dialect: selected, remotes: remotesFolder)
        let outcomes = try runner.run(folder: folder, includeOptional: !requiredOnly)
        let failures = outcomes.filter { !$0.passed }
        for failure in failures {
            print("FAIL \(failure.name): \(failure.detail)")
        }
        print("\(outcomes.count - failures.count) passed, \(failures.count) failed")
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
