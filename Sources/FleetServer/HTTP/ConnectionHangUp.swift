import FleetService

/// The hang-up of the connection whose request is being answered: `HTTP1RequestHandler` keeps one per connection,
/// fires it when the client closes the connection or half-closes it, and binds it here for each request.
enum ConnectionHangUp {
    @TaskLocal static var current: HangUp?
}
