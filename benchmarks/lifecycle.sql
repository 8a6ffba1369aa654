-- One task lifecycle as afm runs it on PostgreSQL for a lone request (create, poll with claim, result, read), for
-- pgbench: PostgreSQL's own ceiling for afm's statements one request at a time, with no HTTP and no afm in the way.
-- Each statement is its own transaction, as in afm; agents are 200 fixed ids. (Under load afm sends the creates,
-- results and reads that arrive together as one statement each, which this does not model.)
-- Used by benchmarks/lifecycle.sh, with afm's connection settings:
--   PGOPTIONS='-c enable_bitmapscan=off -c enable_seqscan=off' pgbench -n -M prepared -f benchmarks/lifecycle.sql -c 16 -j 2 -T 15 \
--     postgresql://…  (on a database made by `afm create-tables`)
\set n random(1, 200)
INSERT INTO tasks (id, test_id, type, version, data, state, created, ttl, expires)
SELECT gen_random_uuid(), gen_random_uuid(), 'bench', 1, '{}', 'waiting', now(), NULL, NULL
WHERE NOT (true AND EXISTS (SELECT 1 FROM task_types WHERE type = 'bench' AND version = 1));
WITH seen AS (
    INSERT INTO agents (id, name, last_seen, capabilities, location)
    SELECT md5(:n::text)::uuid, 'agent', now(), '{"bench": 1}', NULL
    WHERE NOT EXISTS (
        SELECT 1 FROM agents WHERE id = md5(:n::text)::uuid AND last_seen > now() - 1 * interval '1 second' AND name = 'agent'
          AND capabilities = '{"bench": 1}' AND location IS NOT DISTINCT FROM NULL)
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, last_seen = EXCLUDED.last_seen, capabilities = EXCLUDED.capabilities, location = EXCLUDED.location
), offered AS (
    SELECT claimable.seq FROM unnest(ARRAY['bench']::text[], ARRAY[1]::bigint[]) AS capability(type, version)
    CROSS JOIN LATERAL (
        SELECT seq FROM tasks
        WHERE state = 'waiting'
          AND (type, version, seq) > (capability.type, capability.version, 0)
          AND (type, version) <= (capability.type, capability.version)
          AND (expires IS NULL OR expires > now())
        ORDER BY type, version, seq LIMIT 1 FOR UPDATE SKIP LOCKED) claimable
    ORDER BY claimable.seq LIMIT 1
), claimed AS (
    UPDATE tasks SET state = 'claimed', agent_id = md5(:n::text)::uuid, claimed = now()
    WHERE tasks.seq = ANY (ARRAY(SELECT seq FROM offered))
    RETURNING tasks.id
)
SELECT coalesce((SELECT id FROM claimed LIMIT 1), '00000000-0000-0000-0000-000000000000'::uuid) AS claimed \gset
WITH schema_pending AS (
    SELECT true AND EXISTS (
        SELECT 1 FROM tasks JOIN task_types t ON t.type = tasks.type AND t.version = tasks.version
        WHERE tasks.id = :claimed::uuid AND t.result_schema IS NOT NULL) AS pending
), done AS (
    UPDATE tasks SET state = 'completed', completed = now(), result = '{"ok": true}'
    WHERE id = :claimed::uuid AND state = 'claimed' AND agent_id = md5(:n::text)::uuid AND NOT (SELECT pending FROM schema_pending)
    RETURNING state)
SELECT true, state, false FROM done
UNION ALL SELECT false, state, (SELECT pending FROM schema_pending) FROM tasks WHERE id = :claimed::uuid AND NOT EXISTS (SELECT 1 FROM done);
SELECT seq, id, test_id, type, version, data, state, agent_id, created, claimed, completed, failed, result, error, attempts, ttl, expires FROM tasks WHERE id = :claimed::uuid;
