import FleetWire
import Foundation

/// What this agent says of itself in every poll; each poll is this with the time and the free executors.
struct PollIdentity: Sendable {
    let agentID: UUID
    let agentName: String
    let capabilities: [String: Int]
    let location: AgentSettings.Location?

    func body(maxTasks: Int, now: Date = Date()) -> [UInt8] {
        PollBody(
            agentID: agentID, agentName: agentName, agentTime: Self.localTime(now),
            capabilities: capabilities.map { WireCapability(type: $0.key, version: Int64($0.value)) }, maxTasks: Int64(maxTasks),
            location: location.map { WireLocation(country: $0.country, region: $0.region) }
        ).encoded()
    }

    /// The agent's local time with its offset, as the protocol asks.
    static func localTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .current
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
