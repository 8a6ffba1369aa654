import JSON

/// A login to the console. The store keeps only the SHA-256 of the key the browser holds in its cookie, so a copy
/// of the database lets no one in; the CSRF token is sent with every action the session takes.
public struct ConsoleSession: Sendable, Equatable {
    /// What a session may do: a BPMS token's acts, a viewer token's only reads.
    public enum Role: String, Sendable {
        case operator_ = "operator"
        case viewer
    }

    public let keyHash: String
    public let role: Role
    public let csrfToken: String
    public let created: Timestamp
    public let expires: Timestamp

    public init(keyHash: String, role: Role, csrfToken: String, created: Timestamp, expires: Timestamp) {
        self.keyHash = keyHash
        self.role = role
        self.csrfToken = csrfToken
        self.created = created
        self.expires = expires
    }
}
