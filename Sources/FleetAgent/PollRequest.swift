import Foundation
import JSON

/// The protocol-1 poll body.
struct PollRequest: Sendable {
    let agentID: UUID
    let agentName: String
    let capabilities: [String: Int]
    let location: AgentSettings.Location?

    func body(maxTasks: Int, now: Date = Date()) -> [UInt8] {
        var members: [String: JSONValue] = [
            "protocol": 1,
            "agent_id": .string(agentID.uuidString.lowercased()),
            "agent_name": .string(agentName),
            "agent_time": .string(Self.localTime(now)),
            "agent_capabilities": .object(capabilities.mapValues { ["version": .number(.integer(Int64($0)))] }),
            "max_tasks": .number(.integer(Int64(maxTasks))),
        ]
        if let location {
            members["agent_location"] = ["country": .string(location.country), "region": .string(location.region)]
        }
        return Array(JSONWriter.string(from: .object(members)).utf8)
    }

    /// The agent's local time with its offset, as the protocol asks.
    static func localTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .current
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
