/// Bearer tokens for the BPMS routes (`AFM_BPMS_TOKENS`), the agent routes (`AFM_AGENT_TOKENS`) and the console's
/// read-only view (`AFM_VIEWER_TOKENS`); an empty set leaves the routes of that kind open.
public struct AccessTokens: Sendable, Equatable {
    public var bpms: Set<String>
    public var agent: Set<String>
    public var viewer: Set<String>

    public init(bpms: Set<String> = [], agent: Set<String> = [], viewer: Set<String> = []) {
        self.bpms = bpms
        self.agent = agent
        self.viewer = viewer
    }

    public var isEmpty: Bool { bpms.isEmpty && agent.isEmpty && viewer.isEmpty }

    /// The console needs a login when BPMS or viewer tokens are configured.
    public var consoleIsOpen: Bool { bpms.isEmpty && viewer.isEmpty }

    public enum Kind: Sendable {
        case bpms, agent, viewer
    }

    /// The kind of a presented token, nil for an unknown one. Every configured token is compared, each byte of
    /// each, so the time taken tells neither which token nor which bytes matched.
    public func kind(of presented: some Collection<UInt8>) -> Kind? {
        let presented = Array(presented)
        let bpms = Self.contains(bpms, presented)
        let agent = Self.contains(agent, presented)
        let viewer = Self.contains(viewer, presented)
        return bpms ? .bpms : agent ? .agent : viewer ? .viewer : nil
    }

    static func contains(_ tokens: Set<String>, _ presented: [UInt8]) -> Bool {
        var found: UInt8 = 0
        for token in tokens {
            found |= ConstantTime.equal(Array(token.utf8), presented) ? 1 : 0
        }
        return found == 1
    }
}

/// Comparisons whose time does not depend on where two secrets differ.
enum ConstantTime {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }
}

/// As they appear in logs and test output: counted, never shown.
extension AccessTokens: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AccessTokens(bpms: \(bpms.count), agent: \(agent.count), viewer: \(viewer.count))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
