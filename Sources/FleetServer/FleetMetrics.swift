import FleetService
import Prometheus
import Synchronization

/// The AFM's metrics in Prometheus form, served at `GET /metrics`: requests and latency by route, method and
/// status; tasks by what happened to them; claim batch sizes; time from creation to claim; held polls; active
/// agents and waiting tasks; schedule slot lag and missed slots.
public final class FleetMetrics: FleetEvents {
    public let registry: PrometheusCollectorRegistry

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "afm", metricName: metric, unitName: unit, helpText: help)
    }

    static var requests: MetricNameDescriptor { name("http_requests", "total", "HTTP requests answered, by route pattern, method and status.") }
    static var requestDuration: MetricNameDescriptor { name("http_request_duration", "seconds", "Time to answer an HTTP request, by route pattern and method.") }
    static var taskEvents: MetricNameDescriptor { name("tasks", "total", "Tasks by what happened to them.") }
    static var claimBatches: MetricNameDescriptor { name("claim_batch", "size", "Tasks handed out per poll.") }
    static var activeAgents: MetricNameDescriptor { name("agents", "active", "Agents seen within AGENT_ACTIVE_THRESHOLD.") }
    static var waitingTasks: MetricNameDescriptor { name("tasks", "waiting", "Tasks not yet claimed.") }
    static var postToClaim: MetricNameDescriptor { name("task_post_to_claim", "seconds", "Time from a task's creation to its claim.") }
    static var heldPollCount: MetricNameDescriptor { name("polls", "held", "Polls held open waiting for a task (Prefer: wait).") }
    static var slotLag: MetricNameDescriptor { name("schedule_slot_lag", "seconds", "Time from a schedule slot to the creation of its tasks.") }
    static var missedSlots: MetricNameDescriptor { name("schedule_slots_missed", "total", "Schedule slots that got no task: too old when a pass came to them.") }

    static let slotLagBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    static let postToClaimBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(30),
        .seconds(60), .seconds(300), .seconds(3600),
    ]

    /// The handles a request records into, looked up in the registry once per route, method and status rather than
    /// on every request (a lookup builds the metric's name and label arrays).
    private struct RequestSeries: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    private let requestHandles = Mutex<[RequestSeries: (count: Counter, duration: DurationHistogram)]>([:])
    private let taskCounters = Mutex<[String: Counter]>([:])
    private let claimBatchSizes: ValueHistogram
    private let postToClaimTimes: DurationHistogram
    private let heldPollGauge: Gauge
    private let slotLags: DurationHistogram
    private let missedSlotCount: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        claimBatchSizes = registry.makeValueHistogram(descriptor: Self.claimBatches, buckets: [0, 1, 2, 5, 10, 20, 50, 100, 1000])
        postToClaimTimes = registry.makeDurationHistogram(descriptor: Self.postToClaim, buckets: Self.postToClaimBuckets)
        heldPollGauge = registry.makeGauge(descriptor: Self.heldPollCount)
        slotLags = registry.makeDurationHistogram(descriptor: Self.slotLag, buckets: Self.slotLagBuckets)
        missedSlotCount = registry.makeCounter(descriptor: Self.missedSlots)
    }

    func requestFinished(route: String, method: String, status: Int, duration: Duration) {
        let series = RequestSeries(route: route, method: method, status: status)
        let handles = requestHandles.withLock { handles in
            if let known = handles[series] { return known }
            let made = (
                count: registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]),
                duration: registry.makeDurationHistogram(
                    descriptor: Self.requestDuration, labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets))
            handles[series] = made
            return made
        }
        handles.count.increment()
        handles.duration.record(duration)
    }

    public func tasks(_ event: TaskEvent, count: Int) {
        guard count > 0 else { return }
        let counter = taskCounters.withLock { counters in
            if let known = counters[event.rawValue] { return known }
            let made = registry.makeCounter(descriptor: Self.taskEvents, labels: [("event", event.rawValue)])
            counters[event.rawValue] = made
            return made
        }
        counter.increment(by: Int64(count))
    }

    public func claimed(batchSize: Int) {
        claimBatchSizes.record(Double(batchSize))
    }

    public func fleet(activeAgents: Int, waitingTasks: Int) {
        registry.makeGauge(descriptor: Self.activeAgents).set(Double(activeAgents))
        registry.makeGauge(descriptor: Self.waitingTasks).set(Double(waitingTasks))
    }

    public func claimed(afterWaiting seconds: Double) {
        postToClaimTimes.record(Self.duration(seconds))
    }

    public func slotCreated(lagSeconds: Double) {
        slotLags.record(Self.duration(lagSeconds))
    }

    public func slotsMissed(_ count: Int) {
        missedSlotCount.increment(by: Int64(count))
    }

    private static func duration(_ seconds: Double) -> Duration {
        .microseconds(Int64((max(seconds, 0) * 1_000_000).rounded()))
    }

    public func heldPolls(_ count: Int) {
        heldPollGauge.set(Double(count))
    }

    /// The text exposition format.
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
