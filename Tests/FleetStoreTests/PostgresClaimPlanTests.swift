import FleetTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import FleetStore

/// The poll statement afm prepares, run by PostgreSQL itself with afm's connection settings behind a backlog of
/// waiting tasks: what it costs is counted in pages read (EXPLAIN's buffers), not timed, so the test says whether
/// the claim goes straight to its tasks through the tasks_claimable index or walks the table.
@Suite("PostgreSQL claim plan")
struct PostgresClaimPlanTests {
    static let waiting = 100_000

    /// A prepared statement runs custom plans first, then the generic plan when that looks no worse: both must hold.
    @Test("a claim reads a few pages behind 100,000 waiting tasks, whether its type has them or none",
          arguments: ["force_generic_plan", "force_custom_plan"])
    func backlog(planCacheMode: String) async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let store = try await TaskStoreFactory.open(try DatabaseURI(parsing: uri), logger: testLogger)
        try await withRunning(store) { try await store.migrate() }

        let connection = try await PostgresTestDatabases.connect(to: uri)
        do {
            try await run(connection, [
                """
                INSERT INTO tasks (id, test_id, type, version, data, state, created, claimed, completed, agent_id, result)
                SELECT gen_random_uuid(), gen_random_uuid(), 'backlog', 1, '{}', 'completed', now(), now(), now(),
                    gen_random_uuid(), '{}'
                FROM generate_series(1, 5000)
                """,
                """
                INSERT INTO tasks (id, test_id, type, version, data, state, created)
                SELECT gen_random_uuid(), gen_random_uuid(), 'backlog', 1, '{}', 'waiting', now()
                FROM generate_series(1, \(Self.waiting))
                """,
                "ANALYZE tasks",
            ] + PostgresTaskStore.connectionParameters.map { "SET \($0.0) = \($0.1)" } + [
                "SET plan_cache_mode = \(planCacheMode)",
                "PREPARE poll(uuid, text, timestamptz, text, text, float8, text[], bigint[], bigint, bigint) AS \(PostgresStatements.Poll.sql)",
            ])
            for (capabilities, claimable, pageBound) in [
                ((types: "'{backlog}'", versions: "'{1}'", count: 1), 10, 400),
                ((types: "'{idle}'", versions: "'{1}'", count: 1), 0, 40),
                ((types: "'{idle,backlog}'", versions: "'{1,1}'", count: 2), 10, 400),
            ] {
                let (claimed, pages) = try await explainPoll(connection, capabilities: capabilities)
                #expect(claimed == claimable, "capabilities \(capabilities.types)")
                #expect(pages <= pageBound, "capabilities \(capabilities.types): \(pages) pages read")
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs the prepared poll for 10 tasks inside a transaction it rolls back; answers the tasks it claimed and the
    /// shared pages it read (hits and reads, the statement and everything under it).
    private func explainPoll(_ connection: PostgresConnection, capabilities: (types: String, versions: String, count: Int)) async throws -> (claimed: Int, pages: Int) {
        try await run(connection, ["BEGIN"])
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: """
                EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
                EXECUTE poll(gen_random_uuid(), 'agent', now(), '{}', NULL, 1, \(capabilities.types), \(capabilities.versions), 10, \(capabilities.count))
                """), logger: testLogger)
        var document = ""
        for try await (json,) in rows.decode((String,).self) { document += json }
        try await run(connection, ["ROLLBACK"])

        let explained = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [[String: Any]])
        let plan = try #require(explained.first?["Plan"] as? [String: Any])
        let claimed = try #require(plan["Actual Rows"] as? Int)
        let hits = try #require(plan["Shared Hit Blocks"] as? Int)
        let reads = try #require(plan["Shared Read Blocks"] as? Int)
        return (claimed, hits + reads)
    }

    private func run(_ connection: PostgresConnection, _ statements: [String]) async throws {
        for statement in statements {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
        }
    }
}
