/// The fleet's rules in numbers: when agents come back and count as lost, how long tasks may wait and run, how
/// often the sweep looks.
public struct FleetPolicy: Sendable {
    /// Seconds an agent is told to wait before its next poll (`AGENT_RETURN_TIME`).
    public var agentReturnTime: Double
    /// Seconds after its last poll during which an agent counts as active (`AGENT_ACTIVE_THRESHOLD`).
    public var agentActiveThreshold: Double
    /// Seconds a task may wait to be claimed when it does not say (`TASK_DEFAULT_TTL`); nil waits forever.
    public var taskDefaultTTL: Int64?
    /// Times a task is handed out before a lost agent fails it for good (`TASK_MAX_ATTEMPTS`).
    public var taskMaxAttempts: Int
    /// Seconds a claimed task may run before the sweep hands it back (`TASK_RUN_TIMEOUT`); nil: no bound.
    public var taskRunTimeout: Double?
    /// How often expiry, lost agents and overlong runs are checked.
    public var sweepInterval: Duration
    /// Seconds a poll that asks to wait (`Prefer: wait`) may be held at most (`AGENT_MAX_WAIT`); 0: none is held.
    public var maximumPollWait: Int
    /// Days the runs of schedules (and their per-minute roll-ups) are kept after they end (`RESULT_RETENTION_DAYS`).
    public var resultRetentionDays: Int
    /// Days the per-hour and per-day roll-ups are kept (`ROLLUP_RETENTION_DAYS`).
    public var rollupRetentionDays: Int
    /// Hours a webhook delivery is retried before it is given up (`WEBHOOK_RETRY_HOURS`).
    public var webhookRetryHours: Double
    /// The longest wait between two attempts of a delivery, in seconds (`WEBHOOK_MAX_BACKOFF`).
    public var webhookMaximumBackoff: Double
    /// How often runs are judged and counted when nothing says so sooner.
    public var countInterval: Duration

    public init(
        agentReturnTime: Double = 60, agentActiveThreshold: Double = 300, taskDefaultTTL: Int64? = nil,
        taskMaxAttempts: Int = 3, taskRunTimeout: Double? = 3600, sweepInterval: Duration = .seconds(1),
        maximumPollWait: Int = 30, resultRetentionDays: Int = 30, rollupRetentionDays: Int = 400, webhookRetryHours: Double = 24,
        webhookMaximumBackoff: Double = 600, countInterval: Duration = .milliseconds(500)
    ) {
        self.resultRetentionDays = resultRetentionDays
        self.rollupRetentionDays = rollupRetentionDays
        self.webhookRetryHours = webhookRetryHours
        self.webhookMaximumBackoff = webhookMaximumBackoff
        self.countInterval = countInterval
        self.maximumPollWait = maximumPollWait
        self.agentReturnTime = agentReturnTime
        self.agentActiveThreshold = agentActiveThreshold
        self.taskDefaultTTL = taskDefaultTTL
        self.taskMaxAttempts = taskMaxAttempts
        self.taskRunTimeout = taskRunTimeout
        self.sweepInterval = sweepInterval
    }

    /// How stale an agent's stored last-seen time may get before a poll writes it again: a tenth of the active
    /// threshold, at most 10 s. Whether an agent is active or lost is still decided well within the threshold,
    /// and an agent polling every second costs one write per 10 s instead of one per poll.
    public var lastSeenResolution: Double { min(10, agentActiveThreshold / 10) }

    /// Seconds a poll asking to wait `requested` is held: at most `maximumPollWait`, and at most half the active
    /// threshold, since a held agent is seen only when it polls again: an agent running a task while its next poll
    /// is held must come back before it would count as lost.
    public func appliedPollWait(requested: Int) -> Int {
        min(max(requested, 0), maximumPollWait, Int(agentActiveThreshold / 2))
    }
}
