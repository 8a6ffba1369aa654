import JSON
import JSONSchema

/// The JSON Schemas that protocol-1 request bodies must satisfy, compiled once.
public enum ProtocolOneSchemas {
    static let uuidPattern: JSONValue =
        "^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$"
    static let uuidString: JSONValue = ["type": "string", "pattern": uuidPattern]

    /// `POST /tasks`: an agent's poll.
    public static let poll = compile([
        "type": "object",
        "properties": [
            "protocol": ["type": "integer", "minimum": 1],
            "agent_id": uuidString,
            "agent_name": ["type": "string"],
            "agent_time": ["type": "string"],
            "agent_capabilities": [
                "type": "object",
                "patternProperties": [
                    "^.+$": [
                        "type": "object",
                        "properties": ["version": ["type": "integer"]],
                        "required": ["version"],
                    ]
                ],
                "additionalProperties": false,
            ],
            "max_tasks": ["type": "integer"],
            "agent_location": [
                "type": "object",
                "properties": [
                    "country": ["type": "string", "minLength": 2, "maxLength": 2],
                    "region": ["type": "string", "minLength": 2, "maxLength": 4],
                    "latitude": ["type": "number"],
                    "longitude": ["type": "number"],
                ],
                "required": ["country", "region"],
                "additionalProperties": false,
            ],
        ],
        "required": ["protocol", "agent_id", "agent_name", "agent_time", "agent_capabilities", "max_tasks"],
        "additionalProperties": false,
    ])

    /// `POST /tasks/response`: a result or an error, never both.
    public static let taskResponse = compile([
        "type": "object",
        "oneOf": [
            [
                "type": "object",
                "properties": [
                    "protocol": ["type": "integer"],
                    "task_id": uuidString,
                    "task_data": ["type": "object"],
                ],
                "required": ["protocol", "task_id", "task_data"],
                "additionalProperties": false,
            ],
            [
                "type": "object",
                "properties": [
                    "protocol": ["type": "integer"],
                    "task_id": uuidString,
                    "task_error": ["type": "string"],
                ],
                "required": ["protocol", "task_id", "task_error"],
                "additionalProperties": false,
            ],
        ],
    ])

    /// `POST /task`: the BPMS creates a task.
    public static let createTask = compile([
        "type": "object",
        "properties": [
            "task_id": uuidString,
            "test_id": uuidString,
            "task_type": ["type": "string"],
            "task_version": ["type": "integer"],
            "task_data": ["type": "object"],
        ],
        "required": ["task_id", "test_id", "task_type", "task_version"],
        "additionalProperties": false,
    ])

    private static func compile(_ document: JSONValue) -> JSONSchema {
        do {
            return try JSONSchema(document)
        } catch {
            // These schemas are constants of the program; failing to compile them is a programming error.
            preconditionFailure("protocol-1 schema does not compile: \(error)")
        }
    }
}
