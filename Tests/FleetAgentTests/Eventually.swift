import Testing

/// Waits until `condition` holds, recording an issue after `timeout`. Generous by default: on a busy machine a test's
/// tasks may wait long for a thread.
func eventually(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("the condition did not hold within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
