import Foundation
import JSON

/// `POST /tasks`: an agent's poll, as the agent sends it and the AFM reads it.
public struct PollBody: Sendable, Equatable {
    public let agentID: UUID
    public let agentName: String
    /// The agent's local time with its offset, as the agent wrote it.
    public let agentTime: String
    /// Sorted by type.
    public let capabilities: [WireCapability]
    /// As sent: a negative count, or one past any bound, is the reader's to interpret.
    public let maxTasks: Int64
    public let location: WireLocation?

    public init(agentID: UUID, agentName: String, agentTime: String, capabilities: [WireCapability], maxTasks: Int64, location: WireLocation?) {
        self.agentID = agentID
        self.agentName = agentName
        self.agentTime = agentTime
        self.capabilities = capabilities.sorted { $0.type < $1.type }
        self.maxTasks = maxTasks
        self.location = location
    }

    /// Reads a poll, refusing one that breaks the protocol-1 schema or speaks another protocol.
    public init(json body: JSONValue) throws(InvalidRequest) {
        try ProtocolOneSchemas.poll.require(body)
        let members = body.objectValue!
        try requireSupportedProtocol(members)
        var capabilities: [WireCapability] = []
        for (type, details) in members["agent_capabilities"]!.objectValue! {
            guard let version = details["version"]?.numberValue?.int64Value else {
                throw InvalidRequest("capability '\(type)' has a version that is not a 64-bit integer")
            }
            capabilities.append(WireCapability(type: type, version: version))
        }
        let location = members["agent_location"].map { location in
            WireLocation(
                country: location["country"]!.stringValue!, region: location["region"]!.stringValue!,
                latitude: location["latitude"]?.numberValue?.doubleValue, longitude: location["longitude"]?.numberValue?.doubleValue)
        }
        let maxTasks = members["max_tasks"]!.numberValue!
        self.init(
            agentID: UUID(canonicalText: members["agent_id"]!.stringValue!)!, agentName: members["agent_name"]!.stringValue!,
            agentTime: members["agent_time"]!.stringValue!, capabilities: capabilities,
            // A count beyond 64 bits asks for nothing.
            maxTasks: maxTasks.int64Value ?? 0, location: location)
    }

    /// The body as the agent sends it.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.appendObject { members in
            members.member("agent_capabilities") { writer in
                writer.appendObject { members in
                    for capability in capabilities {
                        members.member(capability.type) { writer in
                            writer.appendObject { $0.integer("version", capability.version) }
                        }
                    }
                }
            }
            members.string("agent_id", agentID.canonical)
            if let location {
                members.member("agent_location") { writer in
                    writer.appendObject { members in
                        members.string("country", location.country)
                        if let latitude = location.latitude { members.member("latitude") { $0.append(.number(.double(latitude))) } }
                        if let longitude = location.longitude { members.member("longitude") { $0.append(.number(.double(longitude))) } }
                        members.string("region", location.region)
                    }
                }
            }
            members.string("agent_name", agentName)
            members.string("agent_time", agentTime)
            members.integer("max_tasks", maxTasks)
            members.integer("protocol", supportedProtocolVersion)
        }
        return writer.bytes
    }
}
