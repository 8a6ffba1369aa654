/// What the HTTP application needs to know beyond the store.
public struct ServerSettings: Sendable {
    /// Seconds an agent is told to wait before its next poll (`AGENT_RETURN_TIME`).
    public var agentReturnTime: Double
    /// Seconds after its last poll during which an agent counts as active (`AGENT_ACTIVE_THRESHOLD`).
    public var agentActiveThreshold: Double
    /// Largest request body accepted; larger ones get 413.
    public var maximumBodySize: Int

    public init(agentReturnTime: Double = 60, agentActiveThreshold: Double = 300, maximumBodySize: Int = 1 << 20) {
        self.agentReturnTime = agentReturnTime
        self.agentActiveThreshold = agentActiveThreshold
        self.maximumBodySize = maximumBodySize
    }
}
