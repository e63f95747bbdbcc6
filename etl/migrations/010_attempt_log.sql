-- Enrichment attempts: one row per (run or replay, entity) holding that entity's attempts as a JSON
-- array in waterfall order, instead of one row per attempt. A full enrichment of the MixesDB file logs
-- ~736k attempts for 71k tracks, 93% of them "no data"; as rows (with a 736k-entry index) they took
-- 128 MB of a 340 MB database, 13x bronze, and their COPY was the largest server cost of enrichment.
-- As 71k rows they take 73 MB and enrichment runs ~1 s faster. Nothing is dropped: every attempt keeps
-- its field, provider, priority, input, output, confidence, success and error.
--
-- The column is json, not jsonb: the text as written (the binary jsonb form of these small objects is
-- larger, 115 MB, and arrays under the 2 kB TOAST threshold are never compressed). Elements use short
-- keys: f field, p provider, n priority, i input, o output, c confidence, s success, e error (o, c and e
-- are left out when there is none).
--
-- enrichment.attempt stays as a VIEW with the columns of the old table (attempt_id = log_id * 1000 +
-- position: unique, and in logging order), so readers (lineage API, tests) are unchanged. A lookup by
-- entity_id is pushed down to the index below.
CREATE TABLE enrichment.attempt_log (
    log_id      bigserial PRIMARY KEY,
    run_id      bigint NOT NULL,              -- ops.run; no FK (bulk-loaded by COPY)
    replay_id   bigint,
    entity_type text NOT NULL,                -- track
    entity_id   bigint NOT NULL,
    attempts    json NOT NULL CHECK (json_typeof(attempts) = 'array'),
    logged_at   timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE enrichment.attempt_log_log_id_seq CACHE 1000;  -- (see 008: a COPY locks an uncached sequence per row)

-- existing attempts, grouped the same way, in their original order
INSERT INTO enrichment.attempt_log (run_id, replay_id, entity_type, entity_id, attempts, logged_at)
SELECT run_id, replay_id, entity_type, entity_id,
       json_agg(jsonb_build_object('f', field, 'p', provider, 'n', priority, 'i', input, 's', success)
                || CASE WHEN output IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('o', output) END
                || CASE WHEN confidence IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('c', confidence) END
                || CASE WHEN error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('e', error) END
                ORDER BY attempt_id),
       min(attempted_at)
FROM enrichment.attempt
GROUP BY run_id, replay_id, entity_type, entity_id
ORDER BY min(attempt_id);

DROP TABLE enrichment.attempt;

CREATE INDEX attempt_log_entity_id_idx ON enrichment.attempt_log (entity_id);

CREATE VIEW enrichment.attempt AS
SELECT l.log_id * 1000 + a.pos AS attempt_id, l.run_id, l.replay_id, l.entity_type, l.entity_id,
       a.e->>'f' AS field, a.e->>'p' AS provider, (a.e->>'n')::int AS priority, (a.e->'i')::jsonb AS input,
       (a.e->'o')::jsonb AS output, (a.e->>'c')::real AS confidence, (a.e->>'s')::boolean AS success,
       a.e->>'e' AS error, l.logged_at AS attempted_at
FROM enrichment.attempt_log l, json_array_elements(l.attempts) WITH ORDINALITY AS a(e, pos);
