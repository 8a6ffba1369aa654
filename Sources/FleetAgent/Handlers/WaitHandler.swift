import JSON

/// `wait` version 1: `{"time": seconds}` sleeps that long and answers `{"time": seconds actually slept}`.
public struct WaitHandler: TaskHandler {
    public let type = "wait"
    public let version = 1

    public init() {}

    public func run(_ data: JSONValue) async throws -> JSONValue {
        guard case .number(let time)? = data["time"], time.doubleValue >= 0, time.doubleValue.isFinite else {
            throw HandlerFailure("task_data.time must be a number of seconds, zero or more")
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await Task.sleep(for: .milliseconds(Int64(time.doubleValue * 1000)))
        let slept = start.duration(to: clock.now)
        let seconds = Double(slept.components.seconds) + Double(slept.components.attoseconds) / 1e18
        return ["time": .number(.double((seconds * 1000).rounded() / 1000))]
    }
}
