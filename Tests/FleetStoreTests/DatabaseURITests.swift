import FleetStore
import Testing

@Suite("Database URIs")
struct DatabaseURITests {
    @Test("SQLite URIs follow SQLAlchemy: two slashes memory, three relative, four absolute")
    func sqliteForms() throws {
        #expect(try DatabaseURI(parsing: "sqlite://") == .sqliteMemory)
        #expect(try DatabaseURI(parsing: "sqlite:///:memory:") == .sqliteMemory)
        #expect(try DatabaseURI(parsing: "sqlite:///afm.db") == .sqliteFile(path: "afm.db"))
        #expect(try DatabaseURI(parsing: "sqlite:////var/lib/afm/afm.db") == .sqliteFile(path: "/var/lib/afm/afm.db"))
    }

    @Test("PostgreSQL URIs in every spelling the original configurations use")
    func postgresForms() throws {
        for text in ["postgresql+psycopg2://afm:s%40cret@db.example:6543/fleet", "postgres://afm:s%40cret@db.example:6543/fleet",
                     "postgresql://afm:s%40cret@db.example:6543/fleet"] {
            guard case .postgres(let location) = try DatabaseURI(parsing: text) else {
                Issue.record("\(text) did not parse as PostgreSQL")
                continue
            }
            #expect(location.host == "db.example" && location.port == 6543)
            #expect(location.username == "afm" && location.password == "s@cret" && location.database == "fleet")
            #expect(location.tls == .disable)
        }
    }

    @Test("defaults, IPv6 hosts, sslmode and Unix sockets")
    func postgresDetails() throws {
        guard case .postgres(let plain) = try DatabaseURI(parsing: "postgresql://localhost") else { throw Unexpected() }
        #expect(plain.port == 5432 && plain.username == "postgres" && plain.password == nil && plain.database == nil)
        guard case .postgres(let ipv6) = try DatabaseURI(parsing: "postgresql://u@[::1]:5433/d?sslmode=require") else { throw Unexpected() }
        #expect(ipv6.host == "::1" && ipv6.port == 5433 && ipv6.tls == .require)
        guard case .postgres(let socket) = try DatabaseURI(parsing: "postgresql://u@/d?host=/run/postgresql") else { throw Unexpected() }
        #expect(socket.socketDirectory == "/run/postgresql")
    }

    @Test("malformed URIs are refused with a reason", arguments: [
        "afm.db", "mysql://u@h/d", "postgresql://u@h:99999/d", "postgresql://u@h:abc/d", "sqlite:afm.db",
        "postgresql://u@h/d?sslmode=sometimes",
    ])
    func malformed(text: String) {
        #expect(throws: DatabaseURI.ParseError.self) { try DatabaseURI(parsing: text) }
    }

    @Test("the description masks the password")
    func masksPassword() throws {
        #expect(!"\(try DatabaseURI(parsing: "postgresql://afm:topsecret@h/d"))".contains("topsecret"))
    }

    struct Unexpected: Error {}
}
