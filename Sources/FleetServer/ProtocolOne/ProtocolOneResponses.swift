import FleetModel
import JSON

/// Serializes the protocol-1 answers only the AFM writes (the poll answer is the wire's `PollAnswerBody`), member
/// names exactly as the wire has them, sorted by key.
///
/// Stored `task_data` and results are already JSON text, so they are spliced in without a second parse.
enum ProtocolOneResponses {
    /// `GET /task/{id}`: the task as the BPMS reads it, with its outcome when it has one.
    static func task(_ task: TaskRecord) -> [UInt8] {
        var writer = JSONWriter()
        writer.appendObject { members in
            if let data = task.dataJSON { members.raw("task_data", data) }
            if let failed = task.failed {
                members.string("task_error", task.error ?? "")
                members.string("task_failed", failed.protocolOneText)
            } else if let completed = task.completed {
                members.string("task_completed", completed.protocolOneText)
                members.raw("task_result", task.resultJSON ?? "{}")
            }
            members.string("task_id", task.id.canonical)
            members.string("task_type", task.type)
            members.integer("task_version", task.version)
            members.string("test_id", task.testID.canonical)
        }
        return writer.bytes
    }

    /// `GET /status`.
    static func status(_ status: FleetStatus) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 48)
        writer.appendObject { members in
            members.integer("agents", Int64(status.activeAgents))
            members.integer("tasks_waiting", Int64(status.waitingTasks))
        }
        return writer.bytes
    }

    /// `GET /dashboard/status`: unassigned tasks, and agents with the tasks they were given.
    static func dashboard(_ snapshot: DashboardSnapshot) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 4096)
        writer.appendObject { members in
            members.member("agents") { writer in
                writer.appendArray(snapshot.agents) { writer, agent in
                    writer.appendObject { members in
                        members.string("agent_id", agent.id.canonical)
                        members.string("agent_name", agent.name)
                        members.string("last_seen", agent.lastSeen.protocolOneText)
                        members.member("tasks") { appendDashboardTasks(agent.tasks, to: &$0) }
                    }
                }
            }
            members.member("tasks") { appendDashboardTasks(snapshot.unassignedTasks, to: &$0) }
        }
        return writer.bytes
    }

    /// Dashboard task entries: identity plus the outcome fields, `null` where there is none yet.
    private static func appendDashboardTasks(_ tasks: [TaskRecord], to writer: inout JSONWriter) {
        writer.appendArray(tasks) { writer, task in
            writer.appendObject { members in
                members.optionalString("task_completed", task.completed?.protocolOneText)
                members.optionalString("task_error", task.error)
                members.optionalString("task_failed", task.failed?.protocolOneText)
                members.string("task_id", task.id.canonical)
                members.raw("task_result", task.resultJSON ?? "null")
                members.string("task_type", task.type)
                members.integer("task_version", task.version)
                members.string("test_id", task.testID.canonical)
            }
        }
    }
}
