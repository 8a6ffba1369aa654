import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// The lifecycle as `TaskTransition` declares it, held against each engine's SQL: a task in every state, every
/// operation attempted on each, and each task's state afterwards compared with the table. One case at a time: each
/// makes a database of its own, and many at once beside the rest of the suite load a 2-core machine's PostgreSQL for
/// nothing.
@Suite("TaskStore contract: the declared lifecycle", .serialized)
struct TaskStateMachineContractTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let engine: StoreEngine
        let transition: TaskTransition
        var testDescription: String { "\(transition.rawValue) on \(engine.rawValue)" }
    }

    static let cases = StoreEngine.allCases.flatMap { engine in TaskTransition.allCases.map { Case(engine: engine, transition: $0) } }

    /// One task of its own type in each state, made through the store's own operations; the waiting one may wait
    /// ten seconds.
    static func tasksInEveryState(_ store: any TaskStore, agent: UUID) async throws -> [TaskState: NewTask] {
        var tasks: [TaskState: NewTask] = [:]
        for state in TaskState.allCases {
            tasks[state] = Sample.task(type: "in_\(state.rawValue)", ttl: state == .expired ? 1 : 10)
        }
        let expired = tasks[.expired]!
        try await store.createTask(expired, at: Sample.time(-100))
        _ = try await store.sweep(at: Sample.time(-50), agentSeenSince: Sample.time(-200), maxAttempts: 3)
        for state in TaskState.allCases where state != .expired {
            try await store.createTask(tasks[state]!, at: Sample.time(0))
        }
        for state in [TaskState.claimed, .completed, .failed] {
            let task = tasks[state]!
            let claimed = try await store.poll(
                Sample.poll(agent: agent, capabilities: [Capability(type: task.type, version: 1)]), at: Sample.time(0))
            #expect(claimed.map(\.id) == [task.id])
        }
        try await store.recordOutcome(.result(json: "{}"), forTask: tasks[.completed]!.id, at: Sample.time(0))
        try await store.recordOutcome(.error("boom"), forTask: tasks[.failed]!.id, at: Sample.time(0))
        _ = try await store.cancelTask(id: tasks[.cancelled]!.id, at: Sample.time(0))
        for (state, task) in tasks {
            #expect(try await store.task(id: task.id)?.state == state, "setting up \(state)")
        }
        return tasks
    }

    @Test("each operation moves exactly the states the model says it leaves, to the state it names", arguments: cases)
    func transitions(_ testCase: Case) async throws {
        try await testCase.engine.withStore { store in
            let agent = UUID()
            let tasks = try await Self.tasksInEveryState(store, agent: agent)
            let at = Sample.time(5)
            switch testCase.transition {
            case .claim:
                for task in tasks.values {
                    _ = try await store.poll(Sample.poll(capabilities: [Capability(type: task.type, version: 1)]), at: at)
                }
            case .complete, .fail, .cancel:
                for task in tasks.values {
                    // Refused from a state the transition does not leave; the state is checked below either way.
                    switch testCase.transition {
                    case .complete: _ = try? await store.recordOutcome(.result(json: "{}"), forTask: task.id, at: at)
                    case .fail: _ = try? await store.recordOutcome(.error("late"), forTask: task.id, at: at)
                    default: _ = try? await store.cancelTask(id: task.id, at: at)
                    }
                }
            case .expire:
                // Past the waiting task's ten seconds; its agent was seen since, so nothing is taken back.
                _ = try await store.sweep(at: Sample.time(100), agentSeenSince: Sample.time(-1), maxAttempts: 3)
            case .handBack, .giveUp:
                // Before the waiting task's time runs out; the agent, last seen at 0, counts as lost.
                _ = try await store.sweep(
                    at: at, agentSeenSince: Sample.time(4), maxAttempts: testCase.transition == .handBack ? 3 : 1)
            }
            for (state, task) in tasks {
                let after = try await store.task(id: task.id)?.state
                #expect(after == testCase.transition.outcome(from: state), "\(testCase.transition) from \(state)")
            }
        }
    }

    @Test("no transition leaves a final state, and every state is reached by one (waiting again by a hand-back)")
    func table() {
        for transition in TaskTransition.allCases {
            #expect(transition.from.allSatisfy { !$0.isFinal }, "\(transition)")
        }
        #expect(Set(TaskTransition.allCases.map(\.to)) == Set(TaskState.allCases))
    }
}
