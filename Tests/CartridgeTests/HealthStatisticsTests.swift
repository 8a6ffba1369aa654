@testable import Cartridge
import Databridge
import Testing

@Suite("Health statistics as the reference computes and sends them")
struct HealthStatisticsTests {
    static let meminfo = """
        MemTotal:       16000000 kB
        MemFree:         1000000 kB
        MemAvailable:    4000000 kB
        Buffers:          500000 kB
        Cached:          2000000 kB
        """

    @Test("memory is (total − available) / total in percent to one decimal; load is loadavg₁ per CPU in percent")
    func figures() throws {
        let statistics = try #require(HealthStatistics.compute(meminfo: Self.meminfo, oneMinuteLoad: 1.5, cpuCount: 2))
        #expect(statistics.memoryConsumption == 75.0)
        #expect(statistics.loadAverage == 75.0)
        let rounded = try #require(HealthStatistics.compute(meminfo: "MemTotal: 3 kB\nMemAvailable: 2 kB\n", oneMinuteLoad: 0.25, cpuCount: 4))
        #expect(rounded.memoryConsumption == 33.3)
        #expect(rounded.loadAverage == 6.25)
    }

    @Test("without MemAvailable, available is free + buffers + cached; unreadable input gives nothing")
    func fallbacks() throws {
        let old = Self.meminfo.split(separator: "\n").filter { !$0.hasPrefix("MemAvailable") }.joined(separator: "\n")
        #expect(HealthStatistics.compute(meminfo: old, oneMinuteLoad: 0, cpuCount: 1)?.memoryConsumption == 78.1)
        #expect(HealthStatistics.compute(meminfo: "nothing here", oneMinuteLoad: 0, cpuCount: 1) == nil)
        #expect(HealthStatistics.compute(meminfo: Self.meminfo, oneMinuteLoad: 0, cpuCount: 0) == nil)
    }

    @Test("this machine's figures are in range")
    func current() throws {
        let statistics = try #require(HealthStatistics.current())
        #expect((0...100).contains(statistics.memoryConsumption))
        #expect(statistics.loadAverage >= 0)
    }

    @Test("one event per bundle: stream id, identity and description as strings, timestamp as long, value as double")
    func bundleLayout() throws {
        let settings = try CartridgeSettings.resolve(ConfigurationSources(
            agentConf: ["mb.urls": "b:1883"],
            payload: ["CLUSTER_ID": "c", "CLUSTER_INSTANCE_ID": "ci", "NETWORK_PARTITION_ID": "np", "MEMBER_ID": "m"]))
        let bundle = HealthStream.bundle(
            sessionID: "s", streamID: HealthStream.id, settings: settings, description: "load_average", value: 12.5,
            timestampMilliseconds: 1_700_000_000_123)
        #expect(bundle == EventBundle(
            sessionID: "s", eventCount: 1, ints: [], longs: [1_700_000_000_123], doubles: [12.5], bools: [],
            strings: ["cartridge_agent_health_stats:1.0.0", "c", "ci", "np", "m", "", "load_average"], arbitraryData: nil))
        // The receiver reads it back in the definition's order, the missing partition as an empty string.
        let definition = try StreamDefinition(json: HealthStream.definition)
        #expect(definition.id == HealthStream.id)
        let event = try #require(try bundle.decodeEvents { $0 == definition.id ? definition : nil }.first)
        #expect(event.payloadData.map(\.0) == ["cluster_id", "cluster_instance_id", "network_partition_id", "member_id", "partition_id", "health_description", "value"])
        #expect(event.payloadData.map(\.1) == ["c", "ci", "np", "m", "", "load_average", 12.5])
    }
}
