import FleetTestSupport
import Testing

/// Says out loud, in the test report, when the PostgreSQL cases above could not run.
@Suite("PostgreSQL availability")
struct PostgresAvailability {
    @Test("PostgreSQL cases run against AFM_TEST_POSTGRES_URI", .enabled(if: StoreEngine.postgresURI != nil, Comment(rawValue: StoreEngine.skipReason)))
    func postgresIsConfigured() async throws {
        let uri = try await StoreEngine.postgres.makeDatabaseURI()
        #expect(uri.hasPrefix("postgres"))
    }
}
