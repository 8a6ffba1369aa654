import FleetTestSupport
import Foundation
import Testing

@testable import FleetStore

/// The poll statement afm prepares, run by PostgreSQL itself with afm's connection settings behind a backlog of
/// waiting tasks: whether the claim goes straight to its tasks through the tasks_claimable index or walks the table.
@Suite("PostgreSQL claim plan")
struct PostgresClaimPlanTests {
    /// A prepared statement runs custom plans first, then the generic plan when that looks no worse: both must hold.
    @Test("a claim reads a few pages behind 100,000 waiting tasks, whether its type has them or none",
          arguments: ["force_generic_plan", "force_custom_plan"])
    func backlog(planCacheMode: String) async throws {
        let uri = try await PostgresPlanProbe.databaseWithBacklog(waiting: 100_000, finished: 5000)
        try await PostgresPlanProbe.with(uri, planCacheMode: planCacheMode) { probe in
            try await probe.prepare(PostgresStatements.Poll.self, as: "poll")
            for (capabilities, claimable, pageBound) in [
                ((types: "'{backlog}'", versions: "'{1}'", count: 1), 10, 400),
                ((types: "'{idle}'", versions: "'{1}'", count: 1), 0, 40),
                ((types: "'{idle,backlog}'", versions: "'{1,1}'", count: 2), 10, 400),
            ] {
                // A poll for 10 tasks.
                let (claimed, pages) = try await probe.explain("""
                    EXECUTE poll(gen_random_uuid(), 'agent', now(), '{}', NULL, 1, \(capabilities.types), \
                    \(capabilities.versions), 10, \(capabilities.count))
                    """)
                #expect(claimed == claimable, "capabilities \(capabilities.types)")
                #expect(pages <= pageBound, "capabilities \(capabilities.types): \(pages) pages read")
            }
        }
    }
}
