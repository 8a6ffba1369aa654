/// The PostgreSQL schema. Ids are `uuid`, times `timestamptz`, task data and results JSON text as received.
enum PostgresMigrations {
    /// Serializes migrations across `afm` processes starting at once (an arbitrary constant: "AFM1").
    static let advisoryLockKey: Int64 = 0x4146_4D31

    static let all: [Migration] = [
        Migration(
            version: 1,
            summary: "agents and tasks",
            statements: [
                """
                CREATE TABLE agents (
                    id uuid PRIMARY KEY,
                    name text NOT NULL,
                    last_seen timestamptz NOT NULL,
                    capabilities text NOT NULL,
                    location text
                )
                """,
                "CREATE INDEX agents_last_seen ON agents (last_seen)",
                """
                CREATE TABLE tasks (
                    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                    id uuid PRIMARY KEY,
                    test_id uuid NOT NULL,
                    type text NOT NULL,
                    version bigint NOT NULL,
                    data text,
                    state text NOT NULL,
                    agent_id uuid,
                    created timestamptz NOT NULL,
                    claimed timestamptz,
                    completed timestamptz,
                    failed timestamptz,
                    result text,
                    error text
                )
                """,
                // Claiming looks for the oldest waiting task of a type and version: this keeps it an index range scan.
                "CREATE INDEX tasks_claimable ON tasks (type, version, seq) WHERE state = 'waiting'",
                "CREATE INDEX tasks_by_agent ON tasks (agent_id, seq) WHERE agent_id IS NOT NULL",
            ]),
    ]
}
