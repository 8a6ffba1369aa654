import FleetHTTP
import FleetModel
import FleetService
import FleetWire
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging

/// The SLAMon AFM 1.1 routes, byte-compatible with the original: agents poll and post outcomes, the BPMS creates
/// and reads tasks. Protocol quirks (status codes, empty 200 bodies) live here and nowhere else.
struct ProtocolOneController {
    let fleet: FleetService
    let bodyLimit: Int

    /// Sent by agents that say who they are (ours does); a result from an agent that no longer holds the task is
    /// then refused with 409.
    static var agentIDHeader: HTTPField.Name { HTTPField.Name("AFM-Agent-ID")! }

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/tasks", .post, use: poll)
        routes.on("/tasks/response", .post, respond: postOutcome)
        routes.on("/task", .post, respond: createTask)
        routes.on("/task/{task_id}", .get, respond: readTask)
        routes.on("/status", .get, respond: status)
    }

    /// `POST /tasks`: record the agent, claim what it can run, tell it when to come back. With `Prefer: wait=N`, a
    /// poll that finds nothing is held until a task arrives or N seconds (capped) pass, and the answer says
    /// `Preference-Applied: wait=N`; without it the answer is protocol 1's exactly.
    @Sendable func poll(_ request: Request, context: RouteContext) async throws -> Answer {
        var request = request
        let poll = try ProtocolOneBodies.poll(try await request.jsonBody(limit: bodyLimit))
        let start = try await fleet.tasks.startPoll(poll, wait: WaitPreference.seconds(in: request.headers), hangUp: context.hangUp)
        let logger = context.logger
        switch start {
        case .answered(let answer):
            return .now(Self.response(to: poll, answer, logger: logger))
        case .held(let held):
            // Answered after the chain has returned, so that the wait keeps none of its frames, and with no task at
            // all until the poll has something to answer.
            return .later(gate: { held.whenReady($0) }) { Self.response(to: poll, try await held.answer(), logger: logger) }
        }
    }

    private static func response(to poll: AgentPoll, _ answer: TaskService.PollAnswer, logger: Logger) -> Response {
        let tasks = answer.tasks
        if !tasks.isEmpty {
            logger.info(
                "assigned tasks",
                metadata: ["agent_id": "\(poll.agentID.canonical)", "agent_name": "\(poll.name)",
                           "task_ids": "\(tasks.map(\.id.canonical).joined(separator: ","))"])
        }
        var response = Response.json(ProtocolOneBodies.pollAnswer(tasks: tasks, returnTime: answer.returnTime))
        if let applied = answer.appliedWait { response.headers[WaitPreference.preferenceApplied] = "wait=\(applied)" }
        return response
    }

    /// `POST /tasks/response`: 400 for an unknown, unclaimed or finished task, as the original answers. A result
    /// that does not match the task type's result schema fails the task with the reasons.
    @Sendable func postOutcome(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        let report = try ProtocolOneBodies.outcome(try await request.jsonBody(limit: bodyLimit))
        let agentID = request.headers[Self.agentIDHeader].flatMap(UUID.init(canonicalText:))
        let outcome: TaskOutcome
        do {
            outcome = try await fleet.tasks.recordOutcome(report.outcome, forTask: report.taskID, by: agentID)
        } catch FleetError.taskHeldByAnotherAgent(let id) {
            throw APIError(.conflict, FleetError.taskHeldByAnotherAgent(id).description)
        } catch let error as FleetError {
            throw APIError(.badRequest, error.description)
        }
        let state: String
        switch outcome {
        case .result: state = "completed"
        case .error: state = "failed"
        }
        context.logger.info("task \(state)", metadata: ["task_id": "\(report.taskID.canonical)"])
        return .emptyOK
    }

    /// `POST /task`: 400 when the task id is taken, as the original answers, or when `task_data` does not match
    /// the task type's schema.
    @Sendable func createTask(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        let body = try await request.jsonBody(limit: bodyLimit)
        let task = try ProtocolOneBodies.task(body)
        // The original answers 400 for a taken id, whatever the body.
        let created: CreatedTask
        do {
            created = try await fleet.tasks.create(task, data: body["task_data"])
        } catch FleetError.taskConflict {
            throw APIError(.badRequest, FleetError.taskAlreadyExists(task.id).description)
        }
        guard created.created else { throw APIError(.badRequest, FleetError.taskAlreadyExists(task.id).description) }
        context.logger.info(
            "task created",
            metadata: ["task_id": "\(task.id.canonical)", "test_id": "\(task.testID.canonical)",
                       "task_type": "\(task.type)", "task_version": "\(task.version)"])
        return .emptyOK
    }

    /// `GET /task/{task_id}`: 404 for an unknown task and for a path segment that is not a UUID.
    @Sendable func readTask(_ request: Request, context: RouteContext) async throws -> Response {
        guard let text = context.parameters.get("task_id"), let id = UUID(canonicalText: text) else {
            throw APIError(.notFound, "no such task: the id is not a UUID")
        }
        guard let task = try await fleet.tasks.task(id: id) else {
            throw APIError(.notFound, "no such task: \(id.canonical)")
        }
        return .json(ProtocolOneResponses.task(task))
    }

    /// `GET /status`: active agents and waiting tasks; 500 when the database cannot answer.
    @Sendable func status(_ request: Request, context: RouteContext) async throws -> Response {
        .json(ProtocolOneResponses.status(try await fleet.overview.status()))
    }
}
