import FleetTestSupport
import Foundation
import Testing

import FleetApplication
import FleetStore
@testable import FleetStorePostgres

/// The batch statements afm prepares once per connection (`PostgresBatchStatements`), with the generic plans made
/// while the table was empty, as on a new database, then run behind 100,000 tasks the planner was never told of:
/// each must still go to its rows by primary key.
@Suite("PostgreSQL batch statement plans")
struct PostgresBatchPlanTests {
    static let batch = 10

    @Test("batch inserts, outcomes and reads planned on an empty table read a few pages behind 100,000 tasks")
    func plannedEmpty() async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        let store = try await TaskStoreFactory.open(try DatabaseURI(parsing: uri), logger: testLogger)
        try await withRunning(store) { try await store.migrate() }

        try await PostgresPlanProbe.with(uri, planCacheMode: "force_generic_plan") { probe in
            // Keeps the plans made now: an analyze would invalidate them.
            try await probe.run(["ALTER TABLE tasks SET (autovacuum_enabled = false)"])
            try await probe.prepare(PostgresBatchStatements.InsertTasks.self, as: "insert_tasks")
            try await probe.prepare(PostgresBatchStatements.RecordOutcomes.self, as: "record_outcomes")
            try await probe.prepare(PostgresBatchStatements.ReadTasks.self, as: "read_tasks")
            let nobody = "00000000-0000-0000-0000-000000000000"
            let empty = try await runBatches(probe, claimed: Array(repeating: nobody, count: Self.batch))
            #expect(empty.inserted == Self.batch && empty.answered == 0 && empty.read == 0)

            try await probe.run([
                """
                INSERT INTO tasks (id, test_id, type, version, data, state, created)
                SELECT gen_random_uuid(), gen_random_uuid(), 'backlog', 1, '{}', 'waiting', now()
                FROM generate_series(1, 100000)
                """,
                """
                UPDATE tasks SET state = 'claimed', agent_id = gen_random_uuid(), claimed = now()
                WHERE seq IN (SELECT seq FROM tasks ORDER BY seq DESC LIMIT \(Self.batch))
                """,
            ])
            var claimed: [String] = []
            let rows = try await probe.connection.query("SELECT id::text FROM tasks WHERE state = 'claimed'", logger: testLogger)
            for try await (id,) in rows.decode((String,).self) { claimed.append(id) }
            #expect(claimed.count == Self.batch)

            let backlog = try await runBatches(probe, claimed: claimed)
            #expect(backlog.inserted == Self.batch && backlog.answered == Self.batch && backlog.read == Self.batch)
            // Each by primary key: about 170, 310 and 35 pages for 10 tasks; the table alone is over 1,000.
            #expect(backlog.pages.insert <= 400, "insert: \(backlog.pages.insert) pages read")
            #expect(backlog.pages.outcomes <= 500, "outcomes: \(backlog.pages.outcomes) pages read")
            #expect(backlog.pages.read <= 80, "read: \(backlog.pages.read) pages read")
        }
    }

    /// Inserts a batch of new tasks, records results for the `claimed` tasks and reads them, each rolled back;
    /// answers the rows each answered and the pages each read.
    private func runBatches(_ probe: PostgresPlanProbe, claimed: [String]) async throws
        -> (inserted: Int, answered: Int, read: Int, pages: (insert: Int, outcomes: Int, read: Int))
    {
        func array(_ value: String, _ type: String) -> String {
            "array_fill(\(value)::\(type), ARRAY[\(Self.batch)])"
        }
        let newIDs = (0..<Self.batch).map { _ in UUID().uuidString }
        let testIDs = (0..<Self.batch).map { _ in UUID().uuidString }
        let insert = try await probe.explain("""
            EXECUTE insert_tasks('{\(newIDs.joined(separator: ","))}', '{\(testIDs.joined(separator: ","))}',
                \(array("'backlog'", "text")), \(array("1", "int8")), \(array("true", "bool")), \(array("'{}'", "text")),
                \(array("now()", "timestamptz")), \(array("false", "bool")), \(array("0", "int8")),
                \(array("now()", "timestamptz")), \(array("false", "bool")), \(array("now()", "timestamptz")),
                \(array("''", "text")), \(array("''", "text")), \(array("''", "text")))
            """)
        let outcomes = try await probe.explain("""
            EXECUTE record_outcomes('{\(claimed.joined(separator: ","))}', \(array("true", "bool")),
                \(array("'{\"ok\": true}'", "text")), \(array("false", "bool")),
                \(array("'00000000-0000-0000-0000-000000000000'", "uuid")), \(array("now()", "timestamptz")),
                \(array("false", "bool")), \(array("now()", "timestamptz")))
            """)
        let read = try await probe.explain("EXECUTE read_tasks('{\(claimed.joined(separator: ","))}')")
        return (insert.rows, outcomes.rows, read.rows, (insert.pages, outcomes.pages, read.pages))
    }
}
