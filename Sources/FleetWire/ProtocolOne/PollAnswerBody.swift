import JSON

/// The answer to `POST /tasks`: the tasks handed out and when to poll again, as the AFM writes it and the agent reads
/// it.
public struct PollAnswerBody: Sendable, Equatable {
    public struct AssignedTask: Sendable, Equatable {
        public let taskID: String
        public let type: String
        public let version: Int64
        /// `task_data` as JSON text, spliced in as it is when written.
        public let dataJSON: String

        public init(taskID: String, type: String, version: Int64, dataJSON: String) {
            self.taskID = taskID
            self.type = type
            self.version = version
            self.dataJSON = dataJSON
        }
    }

    /// ISO 8601, with or without fraction and zone as AFMs write it.
    public let returnTime: String
    public let tasks: [AssignedTask]

    public init(returnTime: String, tasks: [AssignedTask]) {
        self.returnTime = returnTime
        self.tasks = tasks
    }

    /// Why an answer could not be read: the agent tries again later.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads an answer as any AFM writes it; a task without data has `{}`. `returnTime` is empty when there is none.
    public init(json bytes: [UInt8]) throws(Unreadable) {
        guard case .object(let members)? = try? JSONParser.parse(bytes), case .array(let tasks)? = members["tasks"] else {
            throw Unreadable(description: "the poll answer is not a protocol-1 task list")
        }
        var assigned: [AssignedTask] = []
        for task in tasks {
            guard case .string(let id)? = task["task_id"], case .string(let type)? = task["task_type"],
                case .number(let version)? = task["task_version"], let exactVersion = version.int64Value
            else {
                throw Unreadable(description: "the poll answer holds a malformed task: \(task)")
            }
            var dataJSON = "{}"
            if let data = task["task_data"], data != JSONValue.null { dataJSON = JSONWriter.string(from: data) }
            assigned.append(AssignedTask(taskID: id, type: type, version: exactVersion, dataJSON: dataJSON))
        }
        self.init(returnTime: members["return_time"]?.stringValue ?? "", tasks: assigned)
    }

    /// `{"return_time": …, "tasks": [{task_data, task_id, task_type, task_version}]}`, members sorted by key.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 64 + tasks.count * 160)
        writer.appendObject { response in
            response.string("return_time", returnTime)
            response.member("tasks") { writer in
                writer.appendArray(tasks) { writer, task in
                    writer.appendObject { members in
                        members.raw("task_data", task.dataJSON)
                        members.string("task_id", task.taskID)
                        members.string("task_type", task.type)
                        members.integer("task_version", task.version)
                    }
                }
            }
        }
        return writer.bytes
    }
}
