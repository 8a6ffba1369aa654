import FleetModel
import FleetStore
import Foundation
import JSON
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Word between `afm` processes through PostgreSQL's LISTEN/NOTIFY on the channel `afm_task_arrivals`.
///
/// Announcing sends `pg_notify` through the pool, one statement at a time per process: word that arrives while one
/// is sent is merged and goes in the next, so a burst of creates costs a few notifications, not one each. Listening
/// keeps a connection of its own (a pooled one cannot hold LISTEN); when it is lost it is opened again, backing off
/// up to five seconds, and each time listening starts the handler hears `unknown`, so that held polls look once for
/// what was created while no one listened. A process ignores its own word: it has woken its polls already.
final class PostgresTaskNotifications: TaskNotifications {
    static let channel = "afm_task_arrivals"
    /// Kinds merged into one notification at most; beyond them it says `unknown`. PostgreSQL takes up to 8,000
    /// bytes of payload.
    static let maximumKinds = 64
    static let maximumPayload = 7_900

    private struct State {
        var handler: (@Sendable (TaskArrival) -> Void)?
        var pending: [TaskKind: Int] = [:]
        var pendingUnknown = false
        var sending = false
    }

    private let origin = UUID().canonical
    private let location: DatabaseURI.PostgresLocation
    private let send: @Sendable (String) async throws -> Void
    private let logger: Logger
    private let state = Mutex(State())

    /// `send` runs `SELECT pg_notify(…)` with the payload, within the store's operation deadline.
    init(location: DatabaseURI.PostgresLocation, logger: Logger, send: @escaping @Sendable (String) async throws -> Void) {
        self.location = location
        self.logger = logger
        self.send = send
    }

    /// The listening connection's settings: the store's server, user and TLS.
    private func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory = location.socketDirectory {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(location.port)", username: location.username,
                password: location.password, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    // MARK: Announcing

    func announce(_ arrival: TaskArrival) {
        let start = state.withLock { state -> Bool in
            switch arrival {
            case .tasks(let kind, let count):
                if state.pending[kind] == nil, state.pending.count >= Self.maximumKinds {
                    state.pendingUnknown = true
                } else {
                    state.pending[kind, default: 0] += count
                }
            case .unknown:
                state.pendingUnknown = true
            }
            guard !state.sending else { return false }
            state.sending = true
            return true
        }
        if start { Task { await self.sendPending() } }
    }

    private func sendPending() async {
        while let payload = nextPayload() {
            do {
                try await send(payload)
            } catch {
                // Held polls elsewhere still end at their deadline, and the idle-poll shortcut there forgets an
                // empty claim within a second: word lost is latency, not a lost task.
                logger.warning("could not tell other afm processes about new tasks", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The word gathered since the last was sent; nil (and no longer sending) when there is none.
    private func nextPayload() -> String? {
        state.withLock { state in
            guard state.pendingUnknown || !state.pending.isEmpty else {
                state.sending = false
                return nil
            }
            defer {
                state.pending = [:]
                state.pendingUnknown = false
            }
            let unknown = JSONWriter.string(from: ["origin": .string(origin), "unknown": true])
            if state.pendingUnknown { return unknown }
            // [type, version, count], and the locations of tasks that have some.
            let tasks = state.pending.map { kind, count -> JSONValue in
                var fields: [JSONValue] = [
                    .string(kind.capability.type), .number(.integer(kind.capability.version)), .number(.integer(Int64(count))),
                ]
                if !kind.locations.isEmpty { fields.append(.array(kind.locations.map { .string($0.description) })) }
                return .array(fields)
            }
            let payload = JSONWriter.string(from: ["origin": .string(origin), "tasks": .array(tasks)])
            return payload.utf8.count <= Self.maximumPayload ? payload : unknown
        }
    }

    // MARK: Listening

    func onArrival(_ handler: @escaping @Sendable (TaskArrival) -> Void) {
        state.withLock { $0.handler = handler }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.listen() }
    }

    private func listen() async {
        var delay = Duration.milliseconds(100)
        var failing = false
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(), id: 0, logger: logger)
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        if failing { logger.info("listening for other afm processes' tasks again") }
                        failing = false
                        delay = .milliseconds(100)
                        hear(.unknown)
                        for try await notification in notifications {
                            for arrival in arrivals(in: notification.payload) { hear(arrival) }
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                if !failing {
                    logger.warning(
                        "cannot listen for tasks created through other afm processes; retrying",
                        metadata: ["error": "\(String(reflecting: error))"])
                }
                failing = true
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    private func hear(_ arrival: TaskArrival) {
        state.withLock { $0.handler }?(arrival)
    }

    /// The word in a payload from another process; none for this process's own.
    private func arrivals(in payload: String) -> [TaskArrival] {
        guard let word = try? JSONParser.parse(payload), let from = word["origin"]?.stringValue else { return [.unknown] }
        if from == origin { return [] }
        guard let tasks = word["tasks"]?.arrayValue else { return [.unknown] }
        return tasks.map { entry in
            guard let fields = entry.arrayValue, (3...4).contains(fields.count), let type = fields[0].stringValue,
                let version = fields[1].numberValue?.int64Value, let count = fields[2].numberValue?.int64Value
            else { return .unknown }
            var locations: [LocationCode] = []
            if fields.count == 4 {
                guard let listed = fields[3].arrayValue?.compactMap(\.stringValue), let codes = LocationCode.list(listed) else { return .unknown }
                locations = codes
            }
            return .tasks(TaskKind(capability: Capability(type: type, version: version), locations: locations), count: Int(clamping: count))
        }
    }
}
