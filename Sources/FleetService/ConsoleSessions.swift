import Crypto
import FleetStore
import JSON

/// Logins to the console. A session's key is 32 random bytes that only the browser's cookie holds; the store
/// keeps their SHA-256, with the role and the CSRF token every action of the session must send.
public struct ConsoleSessions: Sendable {
    let book: any ConsoleBook
    let clock: any FleetClock
    /// How long a login lasts.
    public static let lifetime = 12.0 * 3600

    init(book: any ConsoleBook, clock: any FleetClock) {
        self.book = book
        self.clock = clock
    }

    /// A new session for `role`, and the key for the browser's cookie.
    public func open(role: ConsoleSession.Role) async throws -> (key: String, session: ConsoleSession) {
        let key = Self.randomToken()
        let now = clock.now()
        let session = ConsoleSession(
            keyHash: Self.hash(key), role: role, csrfToken: Self.randomToken(), created: now, expires: now.adding(seconds: Self.lifetime))
        try await book.saveSession(session, at: now)
        return (key, session)
    }

    /// The live session a cookie's key opens; nil for an unknown, ended or expired one.
    public func session(key: String) async throws -> ConsoleSession? {
        guard Self.isWellFormed(key) else { return nil }
        return try await book.session(keyHash: Self.hash(key), at: clock.now())
    }

    public func close(key: String) async throws {
        guard Self.isWellFormed(key) else { return }
        try await book.deleteSession(keyHash: Self.hash(key))
    }

    /// 32 random bytes from the system's generator, as 64 hexadecimal digits.
    public static func randomToken() -> String { Hexadecimal.random(bytes: 32) }

    private static func isWellFormed(_ key: String) -> Bool {
        key.utf8.count == 64 && key.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    static func hash(_ key: String) -> String { Hexadecimal.text(SHA256.hash(data: Array(key.utf8))) }
}
