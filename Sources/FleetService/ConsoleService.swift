import FleetModel
import FleetStore
import Foundation
import JSON
import Synchronization

/// What the operator console shows and does: counts by state, the waiting backlog and whether anyone can run it,
/// agents active and lost, schedules with their service level, and the two actions, cancel and re-run.
///
/// Each read is one indexed statement (the schedules' service levels aside, which are kept for
/// `scheduleLevelLifetime` seconds, as they move by the minute), so a page that asks every second costs the
/// database little however many tasks and agents there are.
public struct ConsoleService: Sendable {
    let book: any ConsoleBook
    let overview: FleetOverview
    let tasks: TaskService
    let schedules: ScheduleService
    let serviceLevels: ServiceLevelService
    let clock: any FleetClock
    private let levels = LevelCache()

    public static let scheduleLevelLifetime = 5.0

    init(
        book: any ConsoleBook, overview: FleetOverview, tasks: TaskService, schedules: ScheduleService,
        serviceLevels: ServiceLevelService, clock: any FleetClock
    ) {
        self.book = book
        self.overview = overview
        self.tasks = tasks
        self.schedules = schedules
        self.serviceLevels = serviceLevels
        self.clock = clock
    }

    public var now: Timestamp { clock.now() }

    public func taskCounts() async throws -> TaskCounts { try await book.taskCounts() }

    /// Waiting tasks by type, version and locations, each flagged when no active agent can take it.
    public func backlog(limit: Int) async throws -> [Backlog] {
        let groups = try await book.waitingGroups(limit: limit)
        guard !groups.isEmpty else { return [] }
        let kinds = try await book.activeAgentKinds(activeSince: overview.activeSince)
        return groups.map { group in
            let capability = Capability(type: group.type, version: group.version)
            let runnable = kinds.contains { kind in
                kind.capabilities.contains(capability) && (group.locations.isEmpty || group.locations.contains { code in
                    kind.location.map { code.contains($0) } ?? false
                })
            }
            return Backlog(group: group, runnable: runnable)
        }
    }

    /// A group of waiting tasks and whether an active agent (in one of their locations) has their capability.
    public struct Backlog: Sendable {
        public let group: WaitingGroup
        public let runnable: Bool
    }

    /// The agents most recently seen, with how many are known and active in all.
    public func roster(limit: Int) async throws -> Roster {
        let agents = try await overview.agents(limit: limit)
        return Roster(counts: try await book.agentCounts(activeSince: overview.activeSince), agents: agents, activeSince: overview.activeSince)
    }

    public struct Roster: Sendable {
        public let counts: AgentCounts
        public let agents: [AgentRecord]
        public let activeSince: Timestamp
    }

    /// A schedule with its uptime over the last 24 hours (nil without runs) and its open incident.
    public struct ScheduleLevel: Sendable {
        public let schedule: ScheduleRecord
        public let uptime: Double?
        public let openIncident: IncidentRecord?
    }

    /// Schedules by name, at most `limit`, with their service level of the last day.
    public func scheduleLevels(limit: Int) async throws -> [ScheduleLevel] {
        let now = clock.now()
        if let kept = levels.kept.withLock({ $0 }), now.microsecondsSinceEpoch - kept.at.microsecondsSinceEpoch < Int64(Self.scheduleLevelLifetime * 1e6),
            kept.levels.count <= limit
        {
            return kept.levels
        }
        let listed = try await schedules.list(after: nil, limit: limit)
        let open = try await serviceLevels.incidents(ofSchedule: nil, limit: limit).filter { $0.resolved == nil }
        var found: [ScheduleLevel] = []
        for schedule in listed {
            let name = schedule.definition.name
            let day = try await serviceLevels.summary(of: name, from: now.adding(seconds: -86_400), to: now, step: .none)
            found.append(ScheduleLevel(schedule: schedule, uptime: day?.windows.first?.overall.uptime, openIncident: open.first { $0.schedule == name }))
        }
        levels.kept.withLock { $0 = (now, found) }
        return found
    }

    /// Creates a new task with the body of a finished one: its type, version, data, locations, time to live, test
    /// and success rule. Throws `taskNotFound`, or `taskNotFinished` while it may still run.
    public func rerun(id: UUID) async throws -> CreatedTask {
        guard let task = try await tasks.task(id: id) else { throw FleetError.taskNotFound(id) }
        guard task.state.isFinal else { throw FleetError.taskNotFinished(id, task.state) }
        let data = try task.dataJSON.map { try JSONParser.parse($0) }
        let copy = NewTask(
            id: UUID(), testID: task.testID, type: task.type, version: task.version, dataJSON: task.dataJSON, ttlSeconds: task.ttlSeconds,
            ttlGiven: task.ttlSeconds != nil, locations: task.locations, runRule: task.runRule)
        return try await tasks.create(copy, data: data)
    }

    public func cancel(id: UUID) async throws -> TaskRecord { try await tasks.cancel(id: id) }

    public func tasks(_ query: TaskQuery) async throws -> TaskPage { try await tasks.list(query) }

    public func task(id: UUID) async throws -> TaskRecord? { try await tasks.task(id: id) }

    public func agent(id: UUID) async throws -> AgentRecord? { try await overview.agent(id: id) }
}

/// The schedules' levels as last read, shared by every copy of the service.
private final class LevelCache: Sendable {
    let kept = Mutex<(at: Timestamp, levels: [ConsoleService.ScheduleLevel])?>(nil)
}
