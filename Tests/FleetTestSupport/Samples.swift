import FleetModel
import Foundation
import JSON

/// Small builders for the values tests pass around.
public enum Sample {
    public static func task(
        type: String = "wait", version: Int64 = 1, data: String? = #"{"time":1}"#, id: UUID = UUID(), testID: UUID = UUID(),
        ttl: Int64? = nil, locations: [String] = []
    ) -> NewTask {
        NewTask(
            id: id, testID: testID, type: type, version: version, dataJSON: data, ttlSeconds: ttl,
            locations: locations.map { LocationCode(text: $0)! })
    }

    public static func poll(
        agent: UUID = UUID(), name: String = "agent", capabilities: [Capability] = [Capability(type: "wait", version: 1)],
        maxTasks: Int = 1, at place: String? = nil
    ) -> AgentPoll {
        // `place` is COUNTRY/REGION.
        let location = place.map { text in
            let code = LocationCode(text: text)!
            return AgentLocation(country: code.country, region: code.region!, latitude: nil, longitude: nil)
        }
        return AgentPoll(agentID: agent, name: name, capabilities: capabilities, maxTasks: maxTasks, location: location)
    }

    /// A timestamp `seconds` after an arbitrary fixed instant, for tests that order events in time.
    public static func time(_ seconds: Double) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: 1_700_000_000_000_000).adding(seconds: seconds)
    }
}
