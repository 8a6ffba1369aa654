import Foundation
import HTTPTypes
import OpenAPIRuntime
import OpenAPIURLSession

/// The README's v2 walk-through, and a task run through protocol 1, with the client generated from openapi.yaml
/// against a live afm: `AFMWalkthrough URL`. Tokens, when afm has them, come from AFM_BPMS_TOKEN and AFM_AGENT_TOKEN
/// (the environment, never the command line). Prints each step; exits 1 at the first answer the contract did not
/// promise.
struct Failure: Error, CustomStringConvertible {
    let description: String
}

/// Adds the bearer token of the operation's kind: the agent's for the two agent routes, the BPMS's otherwise.
struct BearerTokens: ClientMiddleware {
    let bpms: String?
    let agent: String?

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        let token = ["pollTasks", "postTaskOutcome"].contains(operationID) ? agent : bpms
        if let token { request.headerFields[.authorization] = "Bearer \(token)" }
        return try await next(request, body, baseURL)
    }
}

func step(_ text: String) { print("walkthrough: \(text)") }

func expect(_ condition: Bool, _ text: @autoclosure () -> String) throws {
    guard condition else { throw Failure(description: text()) }
}

func object(_ value: [String: (any Sendable)?]) throws -> OpenAPIObjectContainer {
    try OpenAPIObjectContainer(unvalidatedValue: value)
}

func walk(_ client: Client) async throws {
    // Register the schemas of a task type.
    let registered = try await client.putTaskType(
        path: .init(_type: "url_http_status", version: 1),
        body: .json(.init(
            taskSchema: object(["type": "object", "required": ["url"], "properties": ["url": ["type": "string", "format": "uri"]]]),
            resultSchema: object(["type": "object", "required": ["status"], "properties": ["status": ["type": "integer"]]]))))
    switch registered {
    case .created(let created): try expect(try created.body.json.taskType == "url_http_status", "registered \(created)")
    case .ok(let replaced): try expect(try replaced.body.json.taskType == "url_http_status", "replaced \(replaced)")
    default: throw Failure(description: "PUT /v2/task-types answered \(registered)")
    }
    step("task type url_http_status 1 registered")

    // task_data that breaks the schema: a problem with its violations.
    let refused = try await client.createTaskV2(body: .json(.init(taskType: "url_http_status", taskVersion: 1, taskData: object([:]))))
    guard case .badRequest(let bad) = refused else { throw Failure(description: "a task without url was answered \(refused)") }
    let problem = try bad.body.applicationProblemJson
    try expect(problem.status == 400 && problem._type == .about_colon_blank, "problem \(problem)")
    try expect(problem.violations?.contains { $0.keyword == "required" && $0.instance == "/task_data" } == true, "violations \(problem)")
    step("refused as the contract says: \(problem.detail)")

    // A task, then the same listed waiting.
    let created = try await client.createTaskV2(body: .json(.init(
        taskType: "url_http_status", taskVersion: 1, taskData: object(["url": "https://example.com/"]), ttlSeconds: 600)))
    guard case .created(let made) = created else { throw Failure(description: "POST /v2/tasks answered \(created)") }
    let task = try made.body.json
    try expect(task.state == .waiting && task.expires != nil, "created \(task)")
    step("task \(task.taskId) waiting, expires \(task.expires.map { "\($0)" } ?? "")")
    let waiting = try await client.listTasks(query: .init(state: .waiting, taskType: "url_http_status", limit: 50)).ok.body.json
    try expect(waiting.tasks.contains { $0.taskId == task.taskId }, "listed \(waiting.tasks.map(\.taskId))")
    step("listed among \(waiting.tasks.count) waiting")

    // An agent claims it through protocol 1 and posts its result; the BPMS reads it completed.
    let agentID = UUID().uuidString.lowercased()
    let poll = try await client.pollTasks(body: .json(.init(
        _protocol: .init(unvalidatedValue: 1), agentId: agentID, agentName: "walkthrough-agent",
        agentTime: ISO8601DateFormatter().string(from: Date()),
        agentCapabilities: .init(additionalProperties: ["url_http_status": .init(version: 1)]), maxTasks: 10,
        agentLocation: .init(country: "FI", region: "18")))).ok.body.json
    try expect(poll.tasks.contains { $0.taskId == task.taskId }, "the poll claimed \(poll.tasks.map(\.taskId))")
    step("claimed by \(agentID); poll again at \(poll.returnTime)")
    let posted = try await client.postTaskOutcome(body: .json(.case1(.init(
        _protocol: .init(unvalidatedValue: 1), taskId: task.taskId, taskData: object(["status": 200])))))
    guard case .ok = posted else { throw Failure(description: "POST /tasks/response answered \(posted)") }
    let finished = try await client.getTaskV2(path: .init(taskId: task.taskId)).ok.body.json
    try expect(finished.state == .completed && finished.agentId == agentID, "read back \(finished)")
    step("completed by \(finished.agentId ?? ""), result \(finished.result.map { "\($0.value)" } ?? "none")")

    // Agents, a page at a time, and the places where they are.
    var names: [String] = []
    var cursor: String?
    repeat {
        let page = try await client.listAgents(query: .init(limit: 1, cursor: cursor)).ok.body.json
        names += page.agents.map(\.agentName)
        cursor = page.nextCursor
    } while cursor != nil
    try expect(names.contains("walkthrough-agent"), "agents \(names)")
    let places = try await client.listLocations().ok.body.json.locations
    try expect(places.contains { $0.location == "FI/18" }, "locations \(places)")
    step("\(names.count) agent(s) paged one by one; active in \(places.map(\.location))")

    // A task cancelled before it ran.
    let spare = try await client.createTaskV2(body: .json(.init(
        taskType: "url_http_status", taskVersion: 1, taskData: object(["url": "https://example.org/"])))).created.body.json
    let cancelled = try await client.cancelTask(path: .init(taskId: spare.taskId)).ok.body.json
    try expect(cancelled.state == .cancelled, "cancelled \(cancelled)")
    step("task \(spare.taskId) cancelled")

    // A schedule every minute in two places, and its runs.
    let schedule = try await client.putSchedule(
        path: .init(name: "example-com"),
        body: .json(.init(
            taskType: "url_http_status", taskVersion: 1, taskData: object(["url": "https://example.com/"]),
            everySeconds: 60, locations: ["FI", "SE/AB"])))
    let saved: Components.Schemas.Schedule
    switch schedule {
    case .created(let created): saved = try created.body.json
    case .ok(let replaced): saved = try replaced.body.json
    default: throw Failure(description: "PUT /v2/schedules answered \(schedule)")
    }
    try expect(saved.ttlSeconds == 60 && saved.locations == ["FI", "SE/AB"], "schedule \(saved)")
    let runs = try await client.getScheduleRuns(path: .init(name: "example-com")).ok.body.json
    step("schedule example-com: next slot \(saved.nextSlot), \(runs.slots.count) slot(s) in the last hour")
}

let arguments = CommandLine.arguments
guard arguments.count == 2, let serverURL = URL(string: arguments[1]) else {
    print("usage: AFMWalkthrough http://HOST:PORT")
    exit(2)
}
let environment = ProcessInfo.processInfo.environment
// afm writes times with microseconds (RFC 3339 allows any fraction); the runtime's default reads whole seconds only.
let client = Client(
    serverURL: serverURL, configuration: Configuration(dateTranscoder: .iso8601WithFractionalSeconds), transport: URLSessionTransport(),
    middlewares: [BearerTokens(bpms: environment["AFM_BPMS_TOKEN"], agent: environment["AFM_AGENT_TOKEN"])])
do {
    try await walk(client)
    step("every step answered as openapi.yaml says")
} catch {
    print("walkthrough: failed: \(error)")
    exit(1)
}
