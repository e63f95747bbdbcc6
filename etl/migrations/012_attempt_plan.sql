-- Attempt logs that name their waterfall step by number. Every attempt element of 010 repeated its
-- field, provider and priority ({"f":"bpm","p":"rekordbox","n":1,...}); those are the same for every
-- track of one enrichment call, so they are written once, in enrichment.attempt_plan, and an element
-- is [step, input, error] (no value), [step, input, output, confidence, error] (a value that did not
-- win) or [step, input, output, confidence] (the winner). One full enrichment of the MixesDB file
-- logs ~3x fewer bytes, and its COPY was the largest server cost of enrichment. Nothing is dropped:
-- enrichment.attempt returns the same columns for both formats (rows written before this migration
-- keep theirs, with plan_id NULL).
CREATE TABLE enrichment.attempt_plan (
    plan_id    bigserial PRIMARY KEY,
    run_id     bigint NOT NULL,               -- ops.run
    replay_id  bigint,
    steps      json NOT NULL CHECK (json_typeof(steps) = 'array'),  -- [[field, provider, priority], ...]
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE enrichment.attempt_log ADD COLUMN plan_id bigint;  -- no FK (bulk-loaded by COPY)

CREATE OR REPLACE VIEW enrichment.attempt AS
SELECT l.log_id * 1000 + a.pos AS attempt_id, l.run_id, l.replay_id, l.entity_type, l.entity_id,
       CASE WHEN l.plan_id IS NULL THEN a.e->>'f' ELSE s.step->>0 END AS field,
       CASE WHEN l.plan_id IS NULL THEN a.e->>'p' ELSE s.step->>1 END AS provider,
       CASE WHEN l.plan_id IS NULL THEN (a.e->>'n')::int ELSE (s.step->>2)::int END AS priority,
       (CASE WHEN l.plan_id IS NULL THEN a.e->'i' ELSE a.e->1 END)::jsonb AS input,
       (CASE WHEN l.plan_id IS NULL THEN a.e->'o' WHEN json_array_length(a.e) >= 4 THEN a.e->2 END)::jsonb AS output,
       (CASE WHEN l.plan_id IS NULL THEN a.e->>'c' WHEN json_array_length(a.e) >= 4 THEN a.e->>3 END)::real
           AS confidence,
       CASE WHEN l.plan_id IS NULL THEN (a.e->>'s')::boolean ELSE json_array_length(a.e) = 4 END AS success,
       CASE WHEN l.plan_id IS NULL THEN a.e->>'e'
            WHEN json_array_length(a.e) = 3 THEN a.e->>2
            WHEN json_array_length(a.e) = 5 THEN a.e->>4 END AS error,
       l.logged_at AS attempted_at
FROM enrichment.attempt_log l
CROSS JOIN LATERAL json_array_elements(l.attempts) WITH ORDINALITY AS a(e, pos)
LEFT JOIN enrichment.attempt_plan p ON p.plan_id = l.plan_id
LEFT JOIN LATERAL (SELECT p.steps->((a.e->>0)::int) AS step) s ON true;
