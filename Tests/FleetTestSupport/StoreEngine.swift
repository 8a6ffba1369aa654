import FleetApplication
import FleetStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// The engines every store test runs against. PostgreSQL needs a server: `AFM_TEST_POSTGRES_URI` names one
/// (the README's test command starts one); without it, PostgreSQL cases are reported as skipped with the reason.
public enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqliteMemory = "sqlite in memory"
    case sqliteFile = "sqlite file"
    case postgres = "postgresql"

    public var testDescription: String { rawValue }

    public static let postgresURIVariable = "AFM_TEST_POSTGRES_URI"

    public static var postgresURI: String? {
        ProcessInfo.processInfo.environment[postgresURIVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static let skipReason = "\(postgresURIVariable) is not set, so PostgreSQL tests cannot run; use the README's test command"

    /// A fresh, migrated store of this engine, running for the duration of `body`.
    public func withStore<Result: Sendable>(
        _ body: @Sendable (any TaskStore) async throws -> Result
    ) async throws -> Result {
        let store = try await makeStore()
        return try await withRunning(store) {
            try await store.migrate()
            return try await body(store)
        }
    }

    /// A URI for a new, empty database of this engine.
    public func makeDatabaseURI() async throws -> String {
        switch self {
        case .sqliteMemory:
            return "sqlite://"
        case .sqliteFile:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afm-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return "sqlite:///" + directory.appendingPathComponent("afm.sqlite").path
        case .postgres:
            guard let baseURI = Self.postgresURI else { try Test.cancel(Comment(rawValue: Self.skipReason)) }
            return try await PostgresTestDatabases.create(from: baseURI)
        }
    }

    public func makeStore() async throws -> any TaskStore {
        try await TaskStoreFactory.open(try DatabaseURI(parsing: try await makeDatabaseURI()), logger: testLogger)
    }
}

/// Runs the store's service around `body` (the PostgreSQL pool needs it), then closes the store.
public func withRunning<Result: Sendable>(
    _ store: any TaskStore, _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await store.run() }
        defer { group.cancelAll() }
        do {
            let result = try await body()
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

public let testLogger: Logger = {
    var logger = Logger(label: "afm-tests")
    logger.logLevel = .warning
    return logger
}()

/// Makes one database per test on the test server, so tests running in parallel never see each other's rows.
public enum PostgresTestDatabases {
    struct NotPostgres: Error, CustomStringConvertible {
        var description: String { "\(StoreEngine.postgresURIVariable) is not a postgresql:// URI" }
    }

    static func create(from baseURI: String) async throws -> String {
        guard case .postgres(let location) = try DatabaseURI(parsing: baseURI) else {
            throw NotPostgres()
        }
        let name = "afm_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await connect(to: location)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: testLogger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        var components = URLComponents(string: baseURI)!
        components.path = "/" + name
        return components.string!
    }

    /// One plain connection to a test database, for a test that looks at PostgreSQL itself.
    public static func connect(to uri: String) async throws -> PostgresConnection {
        guard case .postgres(let location) = try DatabaseURI(parsing: uri) else { throw NotPostgres() }
        return try await connect(to: location)
    }

    private static func connect(to location: DatabaseURI.PostgresLocation) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: testLogger)
    }
}
