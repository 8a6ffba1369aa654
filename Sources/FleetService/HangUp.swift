/// Tells a held poll that its agent has gone (its connection closed, or it will send nothing more), so that the poll
/// ends without claiming for it. The HTTP layer keeps one per connection.
public protocol HangUp: AnyObject, Sendable {
    /// Calls `action` once when the agent hangs up, at once if it already has; replaces an earlier action.
    func whenHungUp(_ action: @escaping @Sendable () -> Void)
    /// Drops the action: the poll is answered.
    func forget()
}
