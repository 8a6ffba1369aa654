import FleetHTTP
import FleetModel
import FleetService
import FleetStore
import Foundation
import Hummingbird
import JSON

/// The operator console under `/dashboard`: the page, its script, style and icon, login and logout, the panels'
/// JSON (only those that changed since the versions the page has), a task's detail, and cancel and re-run.
struct ConsoleController {
    let console: ConsoleService
    let access: ConsoleAccess

    func addRoutes(to routes: inout RouteTable) {
        routes.on("/dashboard", .get, respond: page)
        routes.on("/dashboard/login", .get, respond: loginPage)
        routes.on("/dashboard/login", .post, respond: login)
        routes.on("/dashboard/logout", .post, respond: logout)
        routes.on("/dashboard/console.js", .get) { _, _ in ConsoleHeaders.asset(ConsoleScript.text, type: "text/javascript; charset=utf-8") }
        routes.on("/dashboard/console.css", .get) { _, _ in ConsoleHeaders.asset(ConsoleStyle.text, type: "text/css; charset=utf-8") }
        routes.on("/dashboard/favicon.svg", .get) { _, _ in ConsoleHeaders.asset(ConsoleStyle.icon, type: "image/svg+xml") }
        routes.on("/dashboard/api/panels", .get, respond: panels)
        routes.on("/dashboard/api/tasks/{task_id}", .get, respond: task)
        routes.on("/dashboard/api/tasks/{task_id}/cancel", .post, respond: cancel)
        routes.on("/dashboard/api/tasks/{task_id}/rerun", .post, respond: rerun)
    }

    // MARK: Pages

    @Sendable func page(_ request: Request, context: RouteContext) async throws -> Response {
        guard let grant = try await access.grant(for: request) else { return ConsoleHeaders.redirect(to: "/dashboard/login") }
        var response = ConsoleHeaders.page(
            ConsolePage.console(role: grant.role, csrfToken: grant.csrfToken ?? "", loggedIn: grant.sessionKey != nil))
        if let fresh = grant.newCSRFCookie { response.headers[.setCookie] = ConsoleCookies.set(ConsoleCookies.csrf, fresh, for: request) }
        return response
    }

    @Sendable func loginPage(_ request: Request, context: RouteContext) async throws -> Response {
        if access.tokens.consoleIsOpen { return ConsoleHeaders.redirect(to: "/dashboard") }
        return ConsoleHeaders.page(ConsolePage.login(message: nil))
    }

    @Sendable func login(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        try ConsoleAccess.checkOrigin(request)
        if access.tokens.consoleIsOpen { return ConsoleHeaders.redirect(to: "/dashboard") }
        let token = try await ConsoleForm.fields(of: &request)["token"] ?? ""
        let role: ConsoleSession.Role
        switch access.tokens.kind(of: token.utf8) {
        case .bpms: role = .operator_
        case .viewer: role = .viewer
        case .agent:
            return ConsoleHeaders.page(ConsolePage.login(message: "An agent token cannot open the console."), status: .forbidden)
        case nil:
            context.logger.notice("console login refused: unknown token")
            return ConsoleHeaders.page(ConsolePage.login(message: "That token is not valid."), status: .unauthorized)
        }
        let (key, session) = try await access.sessions.open(role: role)
        context.logger.info("console login", metadata: ["role": "\(session.role.rawValue)"])
        var response = ConsoleHeaders.redirect(to: "/dashboard")
        response.headers[.setCookie] = ConsoleCookies.set(ConsoleCookies.session, key, for: request, maxAge: Int(ConsoleSessions.lifetime))
        return response
    }

    @Sendable func logout(_ request: Request, context: RouteContext) async throws -> Response {
        var request = request
        guard let grant = try await access.grant(for: request), let key = grant.sessionKey else {
            return ConsoleHeaders.redirect(to: "/dashboard/login")
        }
        let form = try await ConsoleForm.fields(of: &request)
        try ConsoleAccess.checkOrigin(request)
        try access.checkCSRF(grant, request, formToken: form["csrf_token"])
        try await access.sessions.close(key: key)
        var response = ConsoleHeaders.redirect(to: "/dashboard/login")
        response.headers[.setCookie] = ConsoleCookies.cleared(ConsoleCookies.session, for: request)
        return response
    }

    // MARK: JSON

    private func granted(_ request: Request) async throws -> ConsoleAccess.Grant {
        guard let grant = try await access.grant(for: request) else { throw APIError(.unauthorized, "log in to the console first") }
        return grant
    }

    /// `GET /dashboard/api/panels?have=counts:VERSION,…&state=&type=&agent=&location=&test=&cursor=`: the panels
    /// whose version differs from the one the page has, each with its new version.
    @Sendable func panels(_ request: Request, context: RouteContext) async throws -> Response {
        let grant = try await granted(request)
        let parameters = request.uri.queryParameters
        var have: [String: String] = [:]
        for item in (parameters["have"].map(String.init) ?? "").split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { have[String(parts[0])] = String(parts[1]) }
        }
        let query = try Self.taskQuery(parameters)
        let now = console.now
        async let counts = console.taskCounts()
        async let backlog = console.backlog(limit: ConsolePanels.backlogGroups)
        async let roster = console.roster(limit: ConsolePanels.agentsShown)
        async let levels = console.scheduleLevels(limit: ConsolePanels.schedulesShown)
        async let tasks = console.tasks(query)
        let all: [(String, JSONValue)] = [
            ("counts", ConsolePanels.counts(try await counts)),
            ("backlog", ConsolePanels.backlog(try await backlog)),
            ("agents", ConsolePanels.agents(try await roster)),
            ("schedules", ConsolePanels.schedules(try await levels)),
            ("tasks", ConsolePanels.tasks(try await tasks, now: now)),
        ]
        var changed: [String: JSONValue] = [:]
        for (name, panel) in all {
            let version = ConsolePanels.version(of: JSONWriter.bytes(from: panel))
            guard have[name] != version, case .object(var members) = panel else { continue }
            members["version"] = .string(version)
            changed[name] = .object(members)
        }
        let body: JSONValue = ["now": .string(now.iso8601Text), "role": .string(grant.role.rawValue), "panels": .object(changed)]
        return ConsoleHeaders.json(body)
    }

    static func taskQuery(_ parameters: Hummingbird.Parameters) throws -> TaskQuery {
        var query = TaskQuery(limit: ConsolePanels.tasksShown)
        query.newestFirst = true
        func text(_ name: String) -> String? {
            parameters[name[...]].map(String.init).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        }
        if let state = text("state") {
            guard let value = TaskState(rawValue: state) else { throw APIError(.badRequest, "state must be one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", "))") }
            query.state = value
        }
        query.type = text("type")
        if let agent = text("agent") {
            guard let id = UUID(canonicalText: agent) else { throw APIError(.badRequest, "agent must be an agent's id (a UUID)") }
            query.agentID = id
        }
        if let location = text("location") {
            guard let code = LocationCode(text: location) else { throw APIError(.badRequest, "location must be a code such as FI or FI/18") }
            query.location = code
        }
        if let test = text("test") {
            guard let id = UUID(canonicalText: test) else { throw APIError(.badRequest, "test must be a test id (a UUID)") }
            query.testID = id
        }
        if let cursor = text("cursor") {
            guard let value = Int64(cursor) else { throw APIError(.badRequest, "cursor must be a cursor the console gave") }
            query.afterSequence = value
        }
        return query
    }

    /// `GET /dashboard/api/tasks/{task_id}`: the task as v2 shows it, with its agent's name.
    @Sendable func task(_ request: Request, context: RouteContext) async throws -> Response {
        _ = try await granted(request)
        let id = try TasksController.taskID(context)
        guard let task = try await console.task(id: id) else { throw APIError(.notFound, "no such task: \(id.canonical)") }
        guard case .object(var members) = V2Representations.task(task, now: console.now).json else { throw APIError(.internalServerError, "task") }
        if let agentID = task.agentID, let agent = try await console.agent(id: agentID) { members["agent_name"] = .string(agent.name) }
        return ConsoleHeaders.json(.object(members))
    }

    @Sendable func cancel(_ request: Request, context: RouteContext) async throws -> Response {
        try access.checkAction(try await granted(request), request)
        let id = try TasksController.taskID(context)
        do {
            let task = try await console.cancel(id: id)
            context.logger.info("task cancelled from the console", metadata: ["task_id": "\(id.canonical)"])
            return ConsoleHeaders.json(V2Representations.task(task, now: console.now).json)
        } catch FleetError.taskNotFound {
            throw APIError(.notFound, "no such task: \(id.canonical)")
        } catch let error as FleetError {
            throw APIError(.conflict, error.description)
        }
    }

    @Sendable func rerun(_ request: Request, context: RouteContext) async throws -> Response {
        try access.checkAction(try await granted(request), request)
        let id = try TasksController.taskID(context)
        do {
            let created = try await console.rerun(id: id)
            context.logger.info("task run again from the console", metadata: ["task_id": "\(id.canonical)", "new_task_id": "\(created.record.id.canonical)"])
            return ConsoleHeaders.json(V2Representations.task(created.record, now: console.now).json, status: .created)
        } catch FleetError.taskNotFound {
            throw APIError(.notFound, "no such task: \(id.canonical)")
        } catch let error as FleetError {
            throw APIError(.conflict, error.description)
        }
    }
}
