import FleetModel
import Testing

/// `COUNTRY` and `COUNTRY/REGION`, read as agents report them, and matched against agents' locations.
@Suite("location codes")
struct LocationCodeTests {
    static func at(_ country: String, _ region: String) -> AgentLocation {
        AgentLocation(country: country, region: region, latitude: nil, longitude: nil)
    }

    @Test("a country or a region of one, as protocol 1 lets agents report them")
    func reading() {
        #expect(LocationCode(text: "FI") == LocationCode(country: "FI", region: nil))
        #expect(LocationCode(text: "FI/18")?.description == "FI/18")
        #expect(LocationCode(text: "US/CA-X")?.region == "CA-X")
        for unreadable in ["", "F", "FIN", "FI/", "/18", "FI/1", "FI/12345", "FI/18/3", "F\u{0}", "FI/1\u{0}"] {
            #expect(LocationCode(text: unreadable) == nil, "\(unreadable) was read")
        }
    }

    @Test("a country holds its regions; a region holds only itself")
    func containing() {
        let finland = LocationCode(text: "FI")!
        let uusimaa = LocationCode(text: "FI/18")!
        #expect(finland.contains(Self.at("FI", "18")) && finland.contains(Self.at("FI", "19")))
        #expect(!finland.contains(Self.at("SE", "18")))
        #expect(uusimaa.contains(Self.at("FI", "18")) && !uusimaa.contains(Self.at("FI", "19")))
        #expect(LocationCode(Self.at("FI", "18")) == uusimaa)
    }
}
