import FleetTestSupport
import Foundation
import Testing

import FleetStore
@testable import FleetStorePostgres

/// The poll statement afm prepares, run by PostgreSQL itself with afm's connection settings behind a backlog of
/// waiting tasks: whether the claim goes straight to its tasks through the tasks_claimable index or walks the table.
@Suite("PostgreSQL claim plan")
struct PostgresClaimPlanTests {
    /// A prepared statement runs custom plans first, then the generic plan when that looks no worse: both must hold.
    @Test("a claim reads a few pages behind 100,000 waiting tasks, whether its type has them or none, or has them for another place or version",
          arguments: ["force_generic_plan", "force_custom_plan"])
    func backlog(planCacheMode: String) async throws {
        let uri = try await PostgresPlanProbe.databaseWithBacklog(waiting: 100_000, finished: 5000)
        try await PostgresPlanProbe.with(uri, planCacheMode: planCacheMode) { probe in
            try await probe.prepare(PostgresStatements.Poll.self, as: "poll")
            // The routes and patterns TaskRoute gives an agent nowhere, in FI/18 and in SE/AB.
            let nowhere = (routes: "ARRAY['']", patterns: "ARRAY[]::text[]")
            let helsinki = (routes: "ARRAY['', 'FI', 'FI/18', '+']", patterns: "ARRAY['%,FI,%', '%,FI/18,%']")
            let stockholm = (routes: "ARRAY['', 'SE', 'SE/AB', '+']", patterns: "ARRAY['%,SE,%', '%,SE/AB,%']")
            for (capabilities, place, claimable, pageBound) in [
                ((types: "'{backlog}'", versions: "'{1}'", count: 1), nowhere, 10, 400),
                ((types: "'{idle}'", versions: "'{1}'", count: 1), nowhere, 0, 40),
                ((types: "'{idle,backlog}'", versions: "'{1,1}'", count: 2), nowhere, 10, 400),
                ((types: "'{backlog}'", versions: "'{1}'", count: 1), stockholm, 10, 400),
                ((types: "'{routed}'", versions: "'{1}'", count: 1), helsinki, 10, 400),
                ((types: "'{routed}'", versions: "'{1}'", count: 1), stockholm, 0, 40),
                ((types: "'{routed}'", versions: "'{1}'", count: 1), nowhere, 0, 40),
                ((types: "'{routed}'", versions: "'{2}'", count: 1), helsinki, 0, 40),
            ] {
                // A poll for 10 tasks.
                let (claimed, pages) = try await probe.explain("""
                    EXECUTE poll(gen_random_uuid(), 'agent', now(), '{}', NULL, 1, \(capabilities.types), \
                    \(capabilities.versions), 10, \(capabilities.count), \(place.routes), \(place.patterns))
                    """)
                #expect(claimed == claimable, "capabilities \(capabilities.types), routes \(place.routes)")
                #expect(pages <= pageBound, "capabilities \(capabilities.types), routes \(place.routes): \(pages) pages read")
            }
        }
    }
}
