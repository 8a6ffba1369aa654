import ServiceLifecycle

/// One database engine with every storage concern: `SQLiteTaskStore` or `PostgresTaskStore`. Callers take the
/// narrowest of its parts they need; the contract tests run every part against both engines.
public typealias TaskStore = StoreLifecycle & TaskQueue & FleetDirectory & TaskTypeRegistry & ScheduleBook & ServiceLevelBook & WebhookBook & ConsoleBook

/// Opening, migrating and closing a database.
///
/// As a `Service`, a store runs for the life of the process (the PostgreSQL pool needs its `run()`), and closes
/// when the service group shuts down.
public protocol StoreLifecycle: Service {
    /// `sqlite` or `postgresql`, for logs and `/status`.
    var engine: String { get }
    /// Creates the tables, or brings them up to the latest schema version. Safe to call from several processes.
    func migrate() async throws
    /// Drops every table this store owns.
    func dropTables() async throws
    /// Releases the database. The store is unusable afterwards.
    func close() async throws
    /// Word between the processes sharing this database that tasks became claimable; to be run as a service by a
    /// process that holds polls.
    var notifications: any TaskNotifications { get }
}
