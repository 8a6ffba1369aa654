/// Checks `condition` every 50 ms for up to `timeout`; answers whether it came to hold.
public func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return true
}

/// Waits until `condition` holds, or throws after `timeout`. Generous by default: on a busy machine a test's tasks
/// may wait long for a thread.
public func waitUntil(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
    guard await eventually(timeout: timeout, condition) else { throw Failure("the condition did not hold within \(timeout)") }
}
