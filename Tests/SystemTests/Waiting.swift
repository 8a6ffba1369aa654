import FleetTestSupport

/// Polls `condition` every 100 ms for up to `timeout`; answers whether it came to hold.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return true
}

/// Polls `condition` every 100 ms until it holds, or fails after `timeout`.
func waitUntil(timeout: Duration, _ condition: () -> Bool) async throws {
    guard await eventually(timeout: timeout, condition) else { throw Failure("condition not met within \(timeout)") }
}
