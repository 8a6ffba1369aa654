/// A place that tasks name and agents are in: a country, or a region of one, written `COUNTRY` or `COUNTRY/REGION`
/// (`FI`, `FI/18`) and compared with an agent's reported `country` and `region` exactly. The parts are as long as
/// protocol 1 lets agents report them: a country 2 characters, a region 2 to 4; they hold no `/`, `,`, `%`, `_`, `\`
/// or control characters, so that a code can be stored in a list and looked for in one.
public struct LocationCode: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let country: String
    /// Nil for the whole country.
    public let region: String?

    public init(country: String, region: String?) {
        self.country = country
        self.region = region
    }

    /// `COUNTRY` or `COUNTRY/REGION`.
    public init?(text: String) {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), Self.isPart(parts[0], lengths: 2...2),
            parts.count == 1 || Self.isPart(parts[1], lengths: 2...4)
        else { return nil }
        country = parts[0]
        region = parts.count == 2 ? parts[1] : nil
    }

    /// The place of an agent at `location`: its country and region.
    public init(_ location: AgentLocation) {
        country = location.country
        region = location.region
    }

    /// The codes of `texts`; nil when one is not a code.
    public static func list(_ texts: [String]) -> [LocationCode]? {
        var codes: [LocationCode] = []
        for text in texts {
            guard let code = LocationCode(text: text) else { return nil }
            codes.append(code)
        }
        return codes
    }

    public var description: String { region.map { "\(country)/\($0)" } ?? country }

    /// Whether an agent at `location` is here: the same country, and the same region when this names one.
    public func contains(_ location: AgentLocation) -> Bool {
        location.country == country && (region == nil || location.region == region)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.country, lhs.region ?? "") < (rhs.country, rhs.region ?? "")
    }

    private static func isPart(_ part: String, lengths: ClosedRange<Int>) -> Bool {
        // Counted in code points, as JSON Schema counts a string's length.
        lengths.contains(part.unicodeScalars.count)
            && part.unicodeScalars.allSatisfy { !"/,%_\\".unicodeScalars.contains($0) && $0.properties.generalCategory != .control }
    }
}
