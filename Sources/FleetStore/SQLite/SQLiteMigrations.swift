/// The embedded store's schema. Ids are canonical lower-case UUID text; times are microseconds since the Unix epoch.
enum SQLiteMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            summary: "agents and tasks",
            statements: [
                """
                CREATE TABLE agents (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    last_seen INTEGER NOT NULL,
                    capabilities TEXT NOT NULL,
                    location TEXT
                )
                """,
                "CREATE INDEX agents_last_seen ON agents (last_seen)",
                """
                CREATE TABLE tasks (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    test_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    data TEXT,
                    state TEXT NOT NULL,
                    agent_id TEXT,
                    created INTEGER NOT NULL,
                    claimed INTEGER,
                    completed INTEGER,
                    failed INTEGER,
                    result TEXT,
                    error TEXT
                )
                """,
                // Claiming looks for the oldest waiting task of a type and version: this keeps it a range scan.
                "CREATE INDEX tasks_claimable ON tasks (type, version, seq) WHERE state = 'waiting'",
                "CREATE INDEX tasks_by_agent ON tasks (agent_id, seq) WHERE agent_id IS NOT NULL",
            ]),
        Migration(
            version: 2,
            summary: "task types, time to live, leases, cancel",
            statements: [
                "ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE tasks ADD COLUMN ttl INTEGER",
                "ALTER TABLE tasks ADD COLUMN expires INTEGER",
                // The sweeper finds expiring and held tasks through these, however many finished tasks there are.
                "CREATE INDEX tasks_expiring ON tasks (expires) WHERE state = 'waiting' AND expires IS NOT NULL",
                "CREATE INDEX tasks_held ON tasks (agent_id) WHERE state = 'claimed'",
                "CREATE INDEX tasks_by_test ON tasks (test_id, seq)",
                """
                CREATE TABLE task_types (
                    type TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    task_schema TEXT NOT NULL,
                    result_schema TEXT,
                    created INTEGER NOT NULL,
                    updated INTEGER NOT NULL,
                    PRIMARY KEY (type, version)
                )
                """,
            ]),
        Migration(
            version: 3,
            summary: "tasks routed to agents' locations",
            statements: [
                // '' for anywhere, the one location, or '+' for several (see TaskRoute); the list in locations.
                "ALTER TABLE tasks ADD COLUMN route TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE tasks ADD COLUMN locations TEXT",
                // A claim looks up each route it may take in order, so a backlog for other places is never read.
                "CREATE INDEX tasks_claimable_routed ON tasks (type, version, route, seq) WHERE state = 'waiting'",
                "DROP INDEX tasks_claimable",
            ]),
    ]
}
