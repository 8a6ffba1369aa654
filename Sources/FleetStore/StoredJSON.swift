import FleetModel
import JSON

/// How agent details are kept in a text column: capabilities as `[{"type":…,"version":…}]`, location as an object.
package enum StoredJSON {
    package static func capabilities(_ capabilities: [Capability]) -> String {
        var writer = JSONWriter()
        writer.appendArray(capabilities) { writer, capability in
            writer.appendObject { members in
                members.string("type", capability.type)
                members.integer("version", capability.version)
            }
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    package static func parseCapabilities(_ text: String) -> [Capability] {
        guard let entries = (try? JSONParser.parse(text))?.arrayValue else { return [] }
        return entries.compactMap { entry in
            guard let type = entry["type"]?.stringValue, let version = entry["version"]?.numberValue?.int64Value else {
                return nil
            }
            return Capability(type: type, version: version)
        }
    }

    package static func location(_ location: AgentLocation) -> String {
        var members: [String: JSONValue] = ["country": .string(location.country), "region": .string(location.region)]
        if let latitude = location.latitude { members["latitude"] = .number(.double(latitude)) }
        if let longitude = location.longitude { members["longitude"] = .number(.double(longitude)) }
        return JSONWriter.string(from: .object(members))
    }
}

extension StoredJSON {
    package static func parseLocation(_ text: String?) -> AgentLocation? {
        guard let text, let value = try? JSONParser.parse(text), let country = value["country"]?.stringValue,
            let region = value["region"]?.stringValue
        else { return nil }
        return AgentLocation(
            country: country, region: region, latitude: value["latitude"]?.numberValue?.doubleValue,
            longitude: value["longitude"]?.numberValue?.doubleValue)
    }
}
