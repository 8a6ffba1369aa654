import Synchronization

/// Word to this process's `ScheduleRunner` that a schedule was saved: it ends the runner's sleep, or, when the
/// runner is in a pass, makes its next sleep end at once.
public final class ScheduleChanges: Sendable {
    private struct State {
        var pending = false
        var sleeper: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    public func scheduleChanged() {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let sleeper = state.sleeper.take() else {
                state.pending = true
                return nil
            }
            return sleeper
        }
        sleeper?.resume()
    }

    /// Sleeps for `duration`, until a schedule changes, or until the task is cancelled. One sleeper at a time.
    func sleep(for duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Only a sleep that ran its course wakes the sleeper; a cancelled one leaves no word behind.
                if (try? await Task.sleep(for: duration)) != nil { self.wake() }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let awake = self.state.withLock { state in
                            // Cancelled before the sleeper was registered: the cancellation handler found none to
                            // wake, so it must not wait. Checked under the lock the handler takes.
                            if Task.isCancelled { return true }
                            if state.pending {
                                state.pending = false
                                return true
                            }
                            state.sleeper = continuation
                            return false
                        }
                        if awake { continuation.resume() }
                    }
                } onCancel: {
                    self.wake()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Ends the current sleep, if any, without leaving word for the next one.
    private func wake() {
        state.withLock { $0.sleeper.take() }?.resume()
    }
}
