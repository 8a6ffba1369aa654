import JSON
import Testing

@testable import Cartridge

@Suite("Stratos topology")
struct StratosTopologyTests {
    static let event: JSONValue = [
        "topology": [
            "serviceMap": [
                "php": [
                    "clusterIdClusterMap": [
                        "php.cluster": [
                            "memberMap": [
                                "m1": ["memberId": "m1", "memberStateManager": ["stateStack": ["Created", "Initialized"]]],
                                "m2": ["memberId": "m2", "memberStateManager": ["stateStack": ["Created", "Initialized", "Active"]]],
                                "m3": ["memberId": "m3"],
                            ]
                        ]
                    ]
                ]
            ]
        ]
    ]

    @Test("members' statuses are the last of their state stacks; the cluster's member map comes out as JSON")
    func decoded() throws {
        let topology = try #require(StratosTopology(event: Self.event))
        #expect(topology.status(of: "m1", service: "php", cluster: "php.cluster") == "Initialized")
        #expect(topology.status(of: "m2", service: "php", cluster: "php.cluster") == "Active")
        #expect(topology.status(of: "m3", service: "php", cluster: "php.cluster") == nil)
        #expect(topology.status(of: "m1", service: "php", cluster: "other") == nil)
        let list = try #require(topology.memberListJSON(service: "php", cluster: "php.cluster"))
        #expect(try JSONParser.parse(list) == Self.event["topology"]?["serviceMap"]?["php"]?["clusterIdClusterMap"]?["php.cluster"]?["memberMap"])
        #expect(list.hasPrefix(#"{"m1":"#))
        #expect(StratosTopology(event: ["tenants": []]) == nil)
    }
}
