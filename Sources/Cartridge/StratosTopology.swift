import JSON

/// The members of a CompleteTopologyEvent, decoded once: each cluster's members with their status (the last state
/// of their state stack), and each cluster's `memberMap` as the extensions get it.
struct StratosTopology: Sendable {
    struct Cluster: Hashable, Sendable {
        let service: String
        let cluster: String
    }

    private(set) var statuses: [Cluster: [String: String]] = [:]
    private(set) var memberMaps: [Cluster: JSONValue] = [:]

    /// Nil when the body holds no `topology.serviceMap`.
    init?(event body: JSONValue) {
        guard let services = body["topology"]?["serviceMap"]?.objectValue else { return nil }
        for (service, serviceValue) in services {
            for (cluster, clusterValue) in serviceValue["clusterIdClusterMap"]?.objectValue ?? [:] {
                let key = Cluster(service: service, cluster: cluster)
                guard let members = clusterValue["memberMap"] else { continue }
                memberMaps[key] = members
                for (member, memberValue) in members.objectValue ?? [:] {
                    if let status = memberValue["memberStateManager"]?["stateStack"]?.arrayValue?.last?.stringValue {
                        statuses[key, default: [:]][member] = status
                    }
                }
            }
        }
    }

    func status(of member: String, service: String, cluster: String) -> String? {
        statuses[Cluster(service: service, cluster: cluster)]?[member]
    }

    /// The cluster's `memberMap` as JSON (members sorted by id).
    func memberListJSON(service: String, cluster: String) -> String? {
        memberMaps[Cluster(service: service, cluster: cluster)].map { JSONWriter.string(from: $0) }
    }
}
