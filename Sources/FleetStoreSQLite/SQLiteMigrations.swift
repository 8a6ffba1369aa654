import FleetStore

/// The embedded store's schema. Ids are canonical lower-case UUID text; times are microseconds since the Unix epoch.
enum SQLiteMigrations {
    static let all = Migration.all { step in
        switch step {
        case .agentsAndTasks:
            [
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
            ]
        case .taskTypes:
            [
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
            ]
        case .routes:
            [
                // '' for anywhere, the one location, or '+' for several (see TaskRoute); the list in locations.
                "ALTER TABLE tasks ADD COLUMN route TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE tasks ADD COLUMN locations TEXT",
                // A claim looks up each route it may take in order, so a backlog for other places is never read.
                "CREATE INDEX tasks_claimable_routed ON tasks (type, version, route, seq) WHERE state = 'waiting'",
                "DROP INDEX tasks_claimable",
            ]
        case .schedules:
            [
                // A timing is every_ms or cron, with offset_ms (Timetable); locations as tasks store theirs.
                """
                CREATE TABLE schedules (
                    name TEXT PRIMARY KEY,
                    test_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    data TEXT,
                    every_ms INTEGER,
                    cron TEXT,
                    offset_ms INTEGER NOT NULL,
                    locations TEXT,
                    ttl INTEGER NOT NULL,
                    paused INTEGER NOT NULL,
                    next_slot INTEGER NOT NULL,
                    created INTEGER NOT NULL,
                    updated INTEGER NOT NULL
                )
                """,
                // Every process looks for the schedules due through this.
                "CREATE INDEX schedules_due ON schedules (next_slot) WHERE paused = 0",
                // Runs of slots that got no task, with the timing they were counted by.
                """
                CREATE TABLE schedule_misses (
                    schedule TEXT NOT NULL,
                    first_slot INTEGER NOT NULL,
                    last_slot INTEGER NOT NULL,
                    slots INTEGER NOT NULL,
                    every_ms INTEGER,
                    cron TEXT,
                    offset_ms INTEGER NOT NULL,
                    locations TEXT,
                    recorded INTEGER NOT NULL,
                    PRIMARY KEY (schedule, first_slot)
                )
                """,
                "ALTER TABLE tasks ADD COLUMN schedule TEXT",
                "ALTER TABLE tasks ADD COLUMN slot INTEGER",
                // Each slot of a schedule is one task per route (its location), whichever process creates it.
                "CREATE UNIQUE INDEX tasks_by_slot ON tasks (schedule, slot, route) WHERE schedule IS NOT NULL",
            ]
        case .serviceLevels:
            [
                // A rule as requests give it (RunRule.storedText); a verdict once judged (RunCounting.VerdictColumns).
                "ALTER TABLE tasks ADD COLUMN run_rule TEXT",
                "ALTER TABLE tasks ADD COLUMN verdict INTEGER",
                "ALTER TABLE tasks ADD COLUMN down_reason TEXT",
                "ALTER TABLE tasks ADD COLUMN verdict_detail TEXT",
                "ALTER TABLE tasks ADD COLUMN duration_ms REAL",
                // The counting pass finds the runs to judge through this, however many are judged already.
                """
                CREATE INDEX tasks_unjudged ON tasks (seq) WHERE verdict IS NULL
                    AND (schedule IS NOT NULL OR run_rule IS NOT NULL) AND state IN ('completed', 'failed', 'expired', 'cancelled')
                """,
                // Pruning finds the judged runs past the results' retention through this.
                "CREATE INDEX tasks_judged_runs ON tasks ((COALESCE(completed, failed))) WHERE schedule IS NOT NULL AND verdict IS NOT NULL",
                "ALTER TABLE schedules ADD COLUMN run_rule TEXT",
                "ALTER TABLE schedules ADD COLUMN alert_failing INTEGER",
                "ALTER TABLE schedules ADD COLUMN alert_recover INTEGER",
                "ALTER TABLE schedule_misses ADD COLUMN counted INTEGER NOT NULL DEFAULT 0",
                "CREATE INDEX schedule_misses_uncounted ON schedule_misses (recorded) WHERE counted = 0",
                // level: the bucket's length in seconds (60 or 3600); location '' for a schedule without locations.
                """
                CREATE TABLE run_rollups (
                    schedule TEXT NOT NULL,
                    level INTEGER NOT NULL,
                    bucket INTEGER NOT NULL,
                    location TEXT NOT NULL,
                    up INTEGER NOT NULL,
                    failed INTEGER NOT NULL,
                    expired INTEGER NOT NULL,
                    unsuccessful INTEGER NOT NULL,
                    missed INTEGER NOT NULL,
                    durations TEXT NOT NULL,
                    min_seconds REAL,
                    max_seconds REAL,
                    PRIMARY KEY (schedule, level, bucket, location)
                )
                """,
                "CREATE INDEX run_rollups_age ON run_rollups (level, bucket)",
                // Where each alerting schedule's incident evaluation stands; its row lock serializes evaluations.
                """
                CREATE TABLE schedule_ledgers (
                    schedule TEXT PRIMARY KEY,
                    evaluated_through INTEGER NOT NULL,
                    open_incident TEXT,
                    good_slots INTEGER NOT NULL,
                    first_good_slot INTEGER
                )
                """,
                """
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY,
                    schedule TEXT NOT NULL,
                    start_slot INTEGER NOT NULL,
                    end_slot INTEGER,
                    failures TEXT NOT NULL,
                    opened INTEGER NOT NULL,
                    resolved INTEGER
                )
                """,
                // At most one open incident per schedule, whatever happens.
                "CREATE UNIQUE INDEX incidents_open ON incidents (schedule) WHERE resolved IS NULL",
                "CREATE INDEX incidents_by_schedule ON incidents (schedule, start_slot)",
                """
                CREATE TABLE webhooks (
                    name TEXT PRIMARY KEY,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    events TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    updated INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY,
                    webhook TEXT NOT NULL,
                    event TEXT NOT NULL,
                    body TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    next_attempt INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    settled INTEGER
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE state = 'pending'",
                // Listed newest first by rowid, which this index holds after the webhook.
                "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook)",
                """
                CREATE TABLE webhook_attempts (
                    delivery TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    status INTEGER,
                    error TEXT,
                    seconds REAL NOT NULL,
                    PRIMARY KEY (delivery, attempt)
                )
                """,
            ]
        case .console:
            [
                // Counts by state and the console's filters, newest first, through these.
                "CREATE INDEX tasks_by_state ON tasks (state, seq)",
                "CREATE INDEX tasks_by_type ON tasks (type, seq)",
                """
                CREATE TABLE console_sessions (
                    key_hash TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    csrf_token TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    expires INTEGER NOT NULL
                )
                """,
                "CREATE INDEX console_sessions_expiry ON console_sessions (expires)",
            ]
        }
    }
}
