import FleetStore
import FleetStorePostgres
import FleetStoreSQLite
import Logging

/// Opens the store a database URI names.
public enum TaskStoreFactory {
    /// `poolSize` is the number of PostgreSQL connections (nil: the store's default); SQLite has one connection.
    public static func open(_ uri: DatabaseURI, poolSize: Int? = nil, logger: Logger) async throws -> any TaskStore {
        switch uri {
        case .sqliteMemory:
            return try await SQLiteTaskStore.open(path: nil, logger: logger)
        case .sqliteFile(let path):
            return try await SQLiteTaskStore.open(path: path, logger: logger)
        case .postgres(let location):
            return PostgresTaskStore(location: location, logger: logger, poolSize: poolSize)
        }
    }
}
