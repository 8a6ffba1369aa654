import Foundation
import JSON

/// `POST /task`: a task as the BPMS submits it over protocol 1.
public struct CreateTaskBody: Sendable, Equatable {
    public let taskID: UUID
    public let testID: UUID
    public let type: String
    public let version: Int64
    /// `task_data` as JSON text, nil when there is none.
    public let dataJSON: String?

    public init(taskID: UUID, testID: UUID, type: String, version: Int64, dataJSON: String?) {
        self.taskID = taskID
        self.testID = testID
        self.type = type
        self.version = version
        self.dataJSON = dataJSON
    }

    /// Reads a task, refusing one that breaks the protocol-1 schema.
    public init(json body: JSONValue) throws(InvalidRequest) {
        try ProtocolOneSchemas.createTask.require(body)
        let members = body.objectValue!
        guard let version = members["task_version"]!.numberValue!.int64Value else {
            throw InvalidRequest("task_version is not a 64-bit integer")
        }
        self.init(
            taskID: UUID(canonicalText: members["task_id"]!.stringValue!)!, testID: UUID(canonicalText: members["test_id"]!.stringValue!)!,
            type: members["task_type"]!.stringValue!, version: version, dataJSON: members["task_data"].map { JSONWriter.string(from: $0) })
    }

    public func encoded() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 192)
        writer.appendObject { members in
            if let dataJSON { members.raw("task_data", dataJSON) }
            members.string("task_id", taskID.canonical)
            members.string("task_type", type)
            members.integer("task_version", version)
            members.string("test_id", testID.canonical)
        }
        return writer.bytes
    }
}
