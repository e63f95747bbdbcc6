-- Waterfall enrichment: configuration, per-run snapshots, every attempt, value history, replays.
-- Operations: pipeline runs and processing status.
CREATE SCHEMA IF NOT EXISTS enrichment;

CREATE TABLE enrichment.metadata_enrichment_config (
    field          text NOT NULL,             -- bpm | key | energy | genres | label | release_year | isrc
    provider       text NOT NULL,
    priority       int NOT NULL,              -- 1 is tried first
    min_confidence real NOT NULL CHECK (min_confidence BETWEEN 0 AND 1),
    enabled        boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (field, provider),
    UNIQUE (field, priority)
);

CREATE TABLE enrichment.config_snapshot (
    snapshot_id   bigserial PRIMARY KEY,
    config_sha256 text NOT NULL UNIQUE,
    config        jsonb NOT NULL,             -- the config rows, ordered by field, priority
    taken_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ops.run (
    run_id       bigserial PRIMARY KEY,
    kind         text NOT NULL,               -- pipeline | replay | eval
    mode         text,                        -- complete | bronze_only | silver_only | gold_only
    snapshot_id  bigint REFERENCES enrichment.config_snapshot (snapshot_id),
    status       text NOT NULL DEFAULT 'running',  -- running | succeeded | failed
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    stats        jsonb NOT NULL DEFAULT '{}',
    error        text
);

CREATE TABLE ops.processing_status (
    status_id    bigserial PRIMARY KEY,
    run_id       bigint NOT NULL REFERENCES ops.run (run_id),
    layer        text NOT NULL,               -- bronze | silver | gold | graph
    table_name   text NOT NULL,
    status       text NOT NULL,               -- running | succeeded | failed | skipped
    records      int NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    error        text
);
CREATE INDEX processing_status_run_idx ON ops.processing_status (run_id);

CREATE TABLE enrichment.attempt (
    attempt_id  bigserial PRIMARY KEY,
    run_id      bigint NOT NULL,              -- ops.run; no FK: millions of rows come in by COPY
    replay_id   bigint,
    entity_type text NOT NULL,                -- track
    entity_id   bigint NOT NULL,
    field       text NOT NULL,
    provider    text NOT NULL,
    priority    int NOT NULL,
    input       jsonb NOT NULL,
    output      jsonb,
    confidence  real,
    success     boolean NOT NULL,             -- true: this provider's value won
    error       text,                         -- why not: no data, below threshold, HTTP 503, ...
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attempt_entity_idx ON enrichment.attempt (entity_type, entity_id, field);

-- Every winning value ever written to a silver field; the current one is the latest.
CREATE TABLE enrichment.field_history (
    history_id  bigserial PRIMARY KEY,
    run_id      bigint NOT NULL,              -- ops.run; no FK (bulk-loaded, see attempt)
    replay_id   bigint,
    entity_type text NOT NULL,
    entity_id   bigint NOT NULL,
    field       text NOT NULL,
    value       jsonb,
    provider    text,
    confidence  real,
    fetched_at  timestamptz,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX field_history_entity_idx ON enrichment.field_history (entity_type, entity_id, field, history_id);

CREATE TABLE enrichment.replay_queue (
    replay_id     bigserial PRIMARY KEY,
    entity_type   text NOT NULL DEFAULT 'track',
    entity_ids    bigint[],                   -- explicit records, or
    filter        jsonb,                      -- a filter: {"source": ..., "provider": ..., "field_is_null": ...}
    fields        text[] NOT NULL,
    config_run_id bigint REFERENCES ops.run (run_id),  -- replay under that run's config; NULL = current config
    reason        text NOT NULL,
    status        text NOT NULL DEFAULT 'queued',      -- queued | running | done | failed
    requested_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint REFERENCES ops.run (run_id),  -- the run that carried out the replay
    completed_at  timestamptz,
    error         text
);

CREATE TABLE enrichment.replay_diff (
    replay_id      bigint NOT NULL REFERENCES enrichment.replay_queue (replay_id),
    entity_type    text NOT NULL,
    entity_id      bigint NOT NULL,
    field          text NOT NULL,
    old_value      jsonb,
    new_value      jsonb,
    old_provider   text,
    new_provider   text,
    old_confidence real,
    new_confidence real,
    changed        boolean NOT NULL,
    PRIMARY KEY (replay_id, entity_type, entity_id, field)
);
