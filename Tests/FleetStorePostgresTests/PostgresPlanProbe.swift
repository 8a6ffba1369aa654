import FleetTestSupport
import Foundation
import PostgresNIO
import Testing

import FleetApplication
import FleetStore
@testable import FleetStorePostgres

/// One connection to a test database with afm's connection settings, on which afm's prepared statements are
/// prepared by hand and run under EXPLAIN (ANALYZE, BUFFERS): what a statement costs is counted in pages, not timed,
/// so a plan test says whether a statement goes straight to its rows or walks the table.
struct PostgresPlanProbe {
    let connection: PostgresConnection

    /// Connects to `uri` with afm's settings and `planCacheMode`, runs `body`, then closes the connection.
    static func with<Result>(
        _ uri: String, planCacheMode: String, _ body: (PostgresPlanProbe) async throws -> Result
    ) async throws -> Result {
        let probe = PostgresPlanProbe(connection: try await PostgresTestDatabases.connect(to: uri))
        do {
            try await probe.run(PostgresTaskStore.connectionParameters.map { "SET \($0.0) = \($0.1)" })
            try await probe.run(["SET plan_cache_mode = \(planCacheMode)"])
            let result = try await body(probe)
            try await probe.connection.close()
            return result
        } catch {
            try? await probe.connection.close()
            throw error
        }
    }

    func run(_ statements: [String]) async throws {
        for statement in statements {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
        }
    }

    /// Prepares `Statement` under `name`, with the parameter types afm binds.
    func prepare<Statement: PostgresPreparedStatement>(_ statement: Statement.Type, as name: String) async throws {
        let types = try statement.bindingDataTypes.map { type in
            try #require(type.knownSQLName, "no SQL name for \(type)")
        }
        try await run(["PREPARE \(name)(\(types.joined(separator: ", "))) AS \(statement.sql)"])
    }

    /// Runs `execute` (an EXECUTE of a prepared statement) inside a transaction it rolls back; answers the rows its
    /// top node returned and the shared pages it read (hits and reads, the statement and everything under it).
    func explain(_ execute: String) async throws -> (rows: Int, pages: Int) {
        try await run(["BEGIN"])
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) \(execute)"), logger: testLogger)
        var document = ""
        for try await (json,) in rows.decode((String,).self) { document += json }
        try await run(["ROLLBACK"])

        let explained = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [[String: Any]])
        let plan = try #require(explained.first?["Plan"] as? [String: Any])
        let returned = try #require(plan["Actual Rows"] as? Int)
        let hits = try #require(plan["Shared Hit Blocks"] as? Int)
        let reads = try #require(plan["Shared Read Blocks"] as? Int)
        return (returned, hits + reads)
    }

    /// A database with afm's tables, `waiting` waiting tasks of type `backlog` behind `finished` completed ones, and
    /// `waiting` of type `routed` for agents in FI.
    static func databaseWithBacklog(waiting: Int, finished: Int) async throws -> String {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let store = try await TaskStoreFactory.open(try DatabaseURI(parsing: uri), logger: testLogger)
        try await withRunning(store) { try await store.migrate() }
        try await with(uri, planCacheMode: "auto") { probe in
            try await probe.run([
                """
                INSERT INTO tasks (id, test_id, type, version, data, state, created, claimed, completed, agent_id, result)
                SELECT gen_random_uuid(), gen_random_uuid(), 'backlog', 1, '{}', 'completed', now(), now(), now(),
                    gen_random_uuid(), '{}'
                FROM generate_series(1, \(finished))
                """,
                """
                INSERT INTO tasks (id, test_id, type, version, data, state, created)
                SELECT gen_random_uuid(), gen_random_uuid(), 'backlog', 1, '{}', 'waiting', now()
                FROM generate_series(1, \(waiting))
                """,
                // As many for agents in Finland only.
                """
                INSERT INTO tasks (id, test_id, type, version, data, state, created, route, locations)
                SELECT gen_random_uuid(), gen_random_uuid(), 'routed', 1, '{}', 'waiting', now(), 'FI', ',FI,'
                FROM generate_series(1, \(waiting))
                """,
                "ANALYZE tasks",
            ])
        }
        return uri
    }
}
