import FleetModel
import FleetStore
import PostgresNIO

/// How the PostgreSQL store runs every operation: within a deadline, with driver errors turned into
/// `StoreUnavailable` naming the operation and the cause.
struct GuardedOperations: Sendable {
    let deadlines: OperationDeadlines
    /// How long an operation may wait for the database before it fails (and the request gets a 5xx).
    let timeout: Duration

    /// `timeout` overrides the store's own, for an operation that may take longer (the schema migration).
    func run<Result: Sendable>(
        _ operation: String, timeout: Duration? = nil, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        do {
            let timeout = timeout ?? self.timeout
            return try await deadlines.run(timeout: timeout, onTimeout: {
                StoreUnavailable(operation: operation, cause: "no answer from PostgreSQL within \(timeout)")
            }, body)
        } catch let error as FleetError {
            throw error
        } catch let error as StoreUnavailable {
            throw error
        } catch let error as PSQLError {
            throw StoreUnavailable(operation: operation, cause: Self.describe(error), refusedByDatabase: error.serverInfo != nil)
        } catch {
            throw StoreUnavailable(operation: operation, cause: "\(error)")
        }
    }

    private static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }
}
