import FleetService
import NIOCore

/// What the HTTP application needs to know beyond the store.
public struct ServerSettings: Sendable {
    /// Seconds an agent is told to wait before its next poll (`AGENT_RETURN_TIME`).
    public var agentReturnTime: Double
    /// Seconds after its last poll during which an agent counts as active (`AGENT_ACTIVE_THRESHOLD`).
    public var agentActiveThreshold: Double
    /// Largest request body accepted; larger ones get 413.
    public var maximumBodySize: Int
    /// Seconds a task may wait to be claimed when it does not say (`TASK_DEFAULT_TTL`); nil waits forever.
    public var taskDefaultTTL: Int64?
    /// Times a task is handed out before a lost agent fails it for good (`TASK_MAX_ATTEMPTS`).
    public var taskMaxAttempts: Int
    /// Seconds a claimed task may run before the sweeper hands it back (or fails it with `run timed out`) as it
    /// does a lost agent's (`TASK_RUN_TIMEOUT`); nil: no bound.
    public var taskRunTimeout: Double?
    /// How often expiry and lost agents are checked.
    public var sweepInterval: Duration
    /// Bearer tokens for the BPMS routes (`AFM_BPMS_TOKENS`) and the agent routes (`AFM_AGENT_TOKENS`); an empty
    /// set leaves those routes open.
    public var bpmsTokens: Set<String>
    public var agentTokens: Set<String>
    /// Seconds a keep-alive connection may stay unused (`HTTP_IDLE_TIMEOUT`); nil: the return time plus a minute,
    /// so that agents keep theirs from one poll to the next.
    public var idleTimeout: Double?
    /// Seconds a client may take to send a request head, to send the next part of a body, or to take the next part
    /// of its answers (`HTTP_REQUEST_TIMEOUT`).
    public var requestTimeout: Double
    /// Open connections at most (`MAX_CONNECTIONS`); more are answered 503 and closed.
    public var maxConnections: Int
    /// Seconds a poll sent with `Prefer: wait` may be held (`AGENT_MAX_WAIT`); 0: none is held.
    public var maximumPollWait: Int

    public init(
        agentReturnTime: Double = 60, agentActiveThreshold: Double = 300, maximumBodySize: Int = 1 << 20,
        taskDefaultTTL: Int64? = nil, taskMaxAttempts: Int = 3, taskRunTimeout: Double? = 3600, sweepInterval: Duration = .seconds(1),
        bpmsTokens: Set<String> = [], agentTokens: Set<String> = [], idleTimeout: Double? = nil,
        requestTimeout: Double = 10, maxConnections: Int = 16_384, maximumPollWait: Int = 30
    ) {
        self.maximumPollWait = maximumPollWait
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxConnections = maxConnections
        self.agentReturnTime = agentReturnTime
        self.agentActiveThreshold = agentActiveThreshold
        self.maximumBodySize = maximumBodySize
        self.taskDefaultTTL = taskDefaultTTL
        self.taskMaxAttempts = taskMaxAttempts
        self.taskRunTimeout = taskRunTimeout
        self.sweepInterval = sweepInterval
        self.bpmsTokens = bpmsTokens
        self.agentTokens = agentTokens
    }

    /// The domain's share of the settings.
    public var policy: FleetPolicy {
        FleetPolicy(
            agentReturnTime: agentReturnTime, agentActiveThreshold: agentActiveThreshold, taskDefaultTTL: taskDefaultTTL,
            taskMaxAttempts: taskMaxAttempts, taskRunTimeout: taskRunTimeout, sweepInterval: sweepInterval,
            maximumPollWait: maximumPollWait)
    }

    /// The idle timeout in force: the one set, or the return time plus a minute.
    public var effectiveIdleTimeout: Double { idleTimeout ?? agentReturnTime + 60 }

    var connectionTimeouts: ConnectionTimeouts {
        func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
        return ConnectionTimeouts(idle: amount(effectiveIdleTimeout), request: amount(requestTimeout))
    }
}

/// Settings as they appear in logs (swift-service-lifecycle describes the services it starts): the tokens are
/// counted, never shown.
extension ServerSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "ServerSettings(agentReturnTime: \(agentReturnTime), agentActiveThreshold: \(agentActiveThreshold), "
            + "bpmsTokens: \(bpmsTokens.count), agentTokens: \(agentTokens.count))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
