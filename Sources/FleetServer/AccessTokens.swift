/// Bearer tokens for the BPMS routes (`AFM_BPMS_TOKENS`) and the agent routes (`AFM_AGENT_TOKENS`); an empty set
/// leaves those routes open.
public struct AccessTokens: Sendable, Equatable {
    public var bpms: Set<String>
    public var agent: Set<String>

    public init(bpms: Set<String> = [], agent: Set<String> = []) {
        self.bpms = bpms
        self.agent = agent
    }

    public var isEmpty: Bool { bpms.isEmpty && agent.isEmpty }
}

/// As they appear in logs and test output: counted, never shown.
extension AccessTokens: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AccessTokens(bpms: \(bpms.count), agent: \(agent.count))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
