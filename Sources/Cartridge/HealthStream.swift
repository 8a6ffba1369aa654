import Databridge

/// The stream the health statistics go to, exactly as the reference defines it.
enum HealthStream {
    static let id = "cartridge_agent_health_stats:1.0.0"

    /// Sent verbatim to `defineStream`: a receiver with this stream already registered compares the definitions.
    static let definition = #"{"name":"cartridge_agent_health_stats","version":"1.0.0","nickName":"agent health stats","description":"agent health stats","payloadData":[{"name":"cluster_id", "type": "STRING"},{"name":"cluster_instance_id", "type": "STRING"},{"name":"network_partition_id", "type": "STRING"},{"name":"member_id", "type": "STRING"},{"name":"partition_id", "type": "STRING"},{"name":"health_description", "type": "STRING"},{"name":"value", "type": "DOUBLE"}]}"#

    /// One event per bundle: stream id and the five identity values then the description (strings), the
    /// timestamp in milliseconds (longs), the value (doubles); ints and bools are empty, arbitrary data unset.
    /// A missing identity value is sent as an empty string so the lists stay aligned (the original dropped it).
    static func bundle(
        sessionID: String, streamID: String, settings: CartridgeSettings, description: String, value: Double, timestampMilliseconds: Int64
    ) -> EventBundle {
        EventBundle(
            sessionID: sessionID, eventCount: 1, ints: [], longs: [timestampMilliseconds], doubles: [value], bools: [],
            strings: [
                streamID, settings.clusterID ?? "", settings.clusterInstanceID ?? "", settings.networkPartitionID ?? "",
                settings.memberID ?? "", settings.partitionID ?? "", description,
            ])
    }
}
