import FleetModel
import FleetTestSupport
import Foundation
import Testing

import SQLiteNIO

import FleetStore
@testable import FleetStoreSQLite

/// The claim on the embedded store, as SQLite plans it: every capability on every route the agent may take is a
/// search of the tasks_claimable_routed index by type, version and route, never a scan of the tasks.
@Suite("SQLite claim plan")
struct SQLiteClaimPlanTests {
    @Test("a claim searches the routed claim index for each capability and route", arguments: [nil, "FI/18"] as [String?])
    func searchesTheIndex(place: String?) async throws {
        try await StoreEngine.sqliteMemory.withStore { store in
            let sqlite = try #require(store as? SQLiteTaskStore)
            let poll = Sample.poll(capabilities: [Capability(type: "wait", version: 1), Capability(type: "http", version: 2)], at: place)
            let lookup = TaskRoute.lookup(for: poll.location)
            let (routes, patterns) = (lookup.routes, lookup.patterns)
            let claim = SQLiteTaskStore.claimable(capabilities: poll.capabilities.count, routes: routes.count, patterns: patterns.count)
            let binds: [SQLiteData] = [.text(UUID().uuidString), .integer(0), .integer(10)]
                + poll.capabilities.flatMap { [.text($0.type), .integer(Int($0.version))] }
                + routes.map { .text($0) } + patterns.map { .text($0) }
            let plan = try await sqlite.rows("EXPLAIN QUERY PLAN \(claim)", binds).compactMap { $0.column("detail")?.string }
            let searches = plan.filter { $0.contains("USING INDEX tasks_claimable_routed (type=? AND version=? AND route=?)") }
            #expect(searches.count == poll.capabilities.count * routes.count, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN tasks") }, "\(plan)")
        }
    }
}
