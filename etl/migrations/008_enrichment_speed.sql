-- Enrichment write speed. A full enrichment of the MixesDB file logs ~740k attempts (every provider
-- consulted per track and field, 'no data' included), so the per-row cost of enrichment.attempt is
-- most of the run's database time. Measured with server CPU time on the real file:
--
-- 1. attempt ids come from a session-cached sequence: with the default CACHE 1 every COPY row locks
--    and updates the sequence page (~0.4 s of ~3.4 s). Ids stay unique and increase within one
--    session (one chunk's attempts are one COPY), which is the order the waterfall logs them in;
--    across concurrent sessions they may interleave, as with any cached sequence.
ALTER SEQUENCE enrichment.attempt_attempt_id_seq CACHE 1000;

-- 2. one bigint key instead of (entity_type, entity_id, field): ~0.9 s less server CPU per full run.
--    Lookups stay indexed: every query of attempts is per entity (lineage API, tests), the 10-20
--    attempts of a track per run are then filtered by type/field and sorted in memory. Entity ids
--    are 63-bit hashes of (kind, natural key), so ids of different entity types do not collide.
DROP INDEX IF EXISTS enrichment.attempt_entity_idx;
CREATE INDEX IF NOT EXISTS attempt_entity_id_idx ON enrichment.attempt (entity_id);
