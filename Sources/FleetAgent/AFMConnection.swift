/// The two calls the agent makes to its AFM. `AFMClient` makes them over HTTP; the runner's and uploader's unit
/// tests give a fake where the AFM is not what they test.
public protocol AFMConnection: Sendable {
    /// Posts a protocol-1 poll body; answers the tasks handed out and when to come back. With `wait` (seconds), asks
    /// the AFM to hold the poll until a task arrives (`Prefer: wait`).
    func poll(_ body: [UInt8], wait: Int?) async throws(AFMClient.Failure) -> AFMClient.PollAnswer
    /// Posts one result or error, as it waits in the outbox.
    func postResult(_ result: PendingResult) async throws(AFMClient.Failure)
}
