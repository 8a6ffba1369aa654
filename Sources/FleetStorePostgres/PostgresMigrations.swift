import FleetStore

/// The PostgreSQL schema. Ids are `uuid`, times `timestamptz`, task data and results JSON text as received.
enum PostgresMigrations {
    /// Serializes migrations across `afm` processes starting at once (an arbitrary constant: "AFM1").
    static let advisoryLockKey: Int64 = 0x4146_4D31

    static let all = Migration.all { step in
        switch step {
        case .agentsAndTasks:
            [
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
            ]
        case .taskTypes:
            [
                "ALTER TABLE tasks ADD COLUMN attempts integer NOT NULL DEFAULT 0",
                "ALTER TABLE tasks ADD COLUMN ttl bigint",
                "ALTER TABLE tasks ADD COLUMN expires timestamptz",
                // The sweeper finds expiring and held tasks through these, however many finished tasks there are.
                "CREATE INDEX tasks_expiring ON tasks (expires) WHERE state = 'waiting' AND expires IS NOT NULL",
                "CREATE INDEX tasks_held ON tasks (agent_id) WHERE state = 'claimed'",
                "CREATE INDEX tasks_by_test ON tasks (test_id, seq)",
                """
                CREATE TABLE task_types (
                    type text NOT NULL,
                    version bigint NOT NULL,
                    task_schema text NOT NULL,
                    result_schema text,
                    created timestamptz NOT NULL,
                    updated timestamptz NOT NULL,
                    PRIMARY KEY (type, version)
                )
                """,
            ]
        case .routes:
            [
                // '' for anywhere, the one location, or '+' for several (see TaskRoute); the list in locations.
                "ALTER TABLE tasks ADD COLUMN route text NOT NULL DEFAULT ''",
                "ALTER TABLE tasks ADD COLUMN locations text",
                // A claim looks up each route it may take in order, so a backlog for other places is never read.
                "CREATE INDEX tasks_claimable_routed ON tasks (type, version, route, seq) WHERE state = 'waiting'",
                "DROP INDEX tasks_claimable",
            ]
        case .schedules:
            [
                // A timing is every_ms or cron, with offset_ms (Timetable); locations as tasks store theirs.
                """
                CREATE TABLE schedules (
                    name text PRIMARY KEY,
                    test_id uuid NOT NULL,
                    type text NOT NULL,
                    version bigint NOT NULL,
                    data text,
                    every_ms bigint,
                    cron text,
                    offset_ms bigint NOT NULL,
                    locations text,
                    ttl bigint NOT NULL,
                    paused boolean NOT NULL,
                    next_slot timestamptz NOT NULL,
                    created timestamptz NOT NULL,
                    updated timestamptz NOT NULL
                )
                """,
                // Every process looks for the schedules due through this.
                "CREATE INDEX schedules_due ON schedules (next_slot) WHERE NOT paused",
                // Runs of slots that got no task, with the timing they were counted by.
                """
                CREATE TABLE schedule_misses (
                    schedule text NOT NULL,
                    first_slot timestamptz NOT NULL,
                    last_slot timestamptz NOT NULL,
                    slots bigint NOT NULL,
                    every_ms bigint,
                    cron text,
                    offset_ms bigint NOT NULL,
                    locations text,
                    recorded timestamptz NOT NULL,
                    PRIMARY KEY (schedule, first_slot)
                )
                """,
                "ALTER TABLE tasks ADD COLUMN schedule text",
                "ALTER TABLE tasks ADD COLUMN slot timestamptz",
                // Each slot of a schedule is one task per route (its location), whichever process creates it.
                "CREATE UNIQUE INDEX tasks_by_slot ON tasks (schedule, slot, route) WHERE schedule IS NOT NULL",
            ]
        case .serviceLevels:
            [
                // A rule as requests give it (RunRule.storedText); a verdict once judged (RunCounting.VerdictColumns).
                "ALTER TABLE tasks ADD COLUMN run_rule text",
                "ALTER TABLE tasks ADD COLUMN verdict smallint",
                "ALTER TABLE tasks ADD COLUMN down_reason text",
                "ALTER TABLE tasks ADD COLUMN verdict_detail text",
                "ALTER TABLE tasks ADD COLUMN duration_ms double precision",
                // The counting pass finds the runs to judge through this, however many are judged already.
                """
                CREATE INDEX tasks_unjudged ON tasks (seq) WHERE verdict IS NULL
                    AND (schedule IS NOT NULL OR run_rule IS NOT NULL) AND state IN ('completed', 'failed', 'expired', 'cancelled')
                """,
                // Pruning finds the judged runs past the results' retention through this.
                "CREATE INDEX tasks_judged_runs ON tasks ((COALESCE(completed, failed))) WHERE schedule IS NOT NULL AND verdict IS NOT NULL",
                "ALTER TABLE schedules ADD COLUMN run_rule text",
                "ALTER TABLE schedules ADD COLUMN alert_failing integer",
                "ALTER TABLE schedules ADD COLUMN alert_recover integer",
                "ALTER TABLE schedule_misses ADD COLUMN counted boolean NOT NULL DEFAULT false",
                "CREATE INDEX schedule_misses_uncounted ON schedule_misses (recorded) WHERE NOT counted",
                // level: the bucket's length in seconds (60 or 3600); location '' for a schedule without locations.
                """
                CREATE TABLE run_rollups (
                    schedule text NOT NULL,
                    level integer NOT NULL,
                    bucket timestamptz NOT NULL,
                    location text NOT NULL,
                    up bigint NOT NULL,
                    failed bigint NOT NULL,
                    expired bigint NOT NULL,
                    unsuccessful bigint NOT NULL,
                    missed bigint NOT NULL,
                    durations text NOT NULL,
                    min_seconds double precision,
                    max_seconds double precision,
                    PRIMARY KEY (schedule, level, bucket, location)
                )
                """,
                "CREATE INDEX run_rollups_age ON run_rollups (level, bucket)",
                // Where each alerting schedule's incident evaluation stands; its row lock serializes evaluations.
                """
                CREATE TABLE schedule_ledgers (
                    schedule text PRIMARY KEY,
                    evaluated_through timestamptz NOT NULL,
                    open_incident uuid,
                    good_slots integer NOT NULL,
                    first_good_slot timestamptz
                )
                """,
                """
                CREATE TABLE incidents (
                    id uuid PRIMARY KEY,
                    schedule text NOT NULL,
                    start_slot timestamptz NOT NULL,
                    end_slot timestamptz,
                    failures text NOT NULL,
                    opened timestamptz NOT NULL,
                    resolved timestamptz
                )
                """,
                // At most one open incident per schedule, whatever happens.
                "CREATE UNIQUE INDEX incidents_open ON incidents (schedule) WHERE resolved IS NULL",
                "CREATE INDEX incidents_by_schedule ON incidents (schedule, start_slot)",
                """
                CREATE TABLE webhooks (
                    name text PRIMARY KEY,
                    url text NOT NULL,
                    secret text NOT NULL,
                    events text NOT NULL,
                    created timestamptz NOT NULL,
                    updated timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE webhook_deliveries (
                    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                    id uuid PRIMARY KEY,
                    webhook text NOT NULL,
                    event text NOT NULL,
                    body text NOT NULL,
                    state text NOT NULL,
                    created timestamptz NOT NULL,
                    next_attempt timestamptz,
                    attempts integer NOT NULL DEFAULT 0,
                    settled timestamptz
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE state = 'pending'",
                "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook, seq)",
                """
                CREATE TABLE webhook_attempts (
                    delivery uuid NOT NULL,
                    attempt integer NOT NULL,
                    at timestamptz NOT NULL,
                    status integer,
                    error text,
                    seconds double precision NOT NULL,
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
                    key_hash text PRIMARY KEY,
                    role text NOT NULL,
                    csrf_token text NOT NULL,
                    created timestamptz NOT NULL,
                    expires timestamptz NOT NULL
                )
                """,
                "CREATE INDEX console_sessions_expiry ON console_sessions (expires)",
            ]
        }
    }
}
