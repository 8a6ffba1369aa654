import FleetApplication
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@Suite("Embedded store")
struct SQLitePersistenceTests {
    @Test("tasks survive closing and reopening the database file")
    func survivesReopen() async throws {
        let uri = try DatabaseURI(parsing: try await StoreEngine.sqliteFile.makeDatabaseURI())
        let task = Sample.task()
        let first = try await TaskStoreFactory.open(uri, logger: testLogger)
        try await withRunning(first) {
            try await first.migrate()
            try await first.createTask(task, at: Sample.time(0))
        }
        let second = try await TaskStoreFactory.open(uri, logger: testLogger)
        let record = try await withRunning(second) {
            try await second.migrate()
            return try await second.task(id: task.id)
        }
        #expect(record?.id == task.id)
    }

    @Test("two stores on one file (two afm processes) never claim the same task")
    func twoStoresOneFile() async throws {
        let uri = try DatabaseURI(parsing: try await StoreEngine.sqliteFile.makeDatabaseURI())
        let stores = [
            try await TaskStoreFactory.open(uri, logger: testLogger), try await TaskStoreFactory.open(uri, logger: testLogger),
        ]
        try await stores[0].migrate()
        try await stores[1].migrate()
        let tasks = (0..<200).map { _ in Sample.task() }
        for task in tasks { try await stores[0].createTask(task, at: .now()) }
        let claims = try await withThrowingTaskGroup(of: [UUID].self) { group in
            for index in 0..<10 {
                let store = stores[index % 2]
                group.addTask {
                    var mine: [UUID] = []
                    while true {
                        let claimed = try await store.poll(Sample.poll(maxTasks: 3), at: .now())
                        if claimed.isEmpty { return mine }
                        mine += claimed.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claims.count == 200 && Set(claims).count == 200)
        for store in stores { try await store.close() }
    }
}
