-- Bronze: raw input exactly as received. Append-only, enforced by triggers (UPDATE, DELETE and
-- TRUNCATE raise). Every row carries its lineage: source, file, position, importer version, hash.
CREATE SCHEMA IF NOT EXISTS bronze;
CREATE SCHEMA IF NOT EXISTS ops;

CREATE OR REPLACE FUNCTION bronze.forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'bronze.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- One row per file (or provider call batch) an importer read.
CREATE TABLE bronze.ingest_file (
    file_id          bigserial PRIMARY KEY,
    source           text NOT NULL,           -- mixesdb | 1001tracklists | rekordbox | features
    path             text NOT NULL,
    file_sha256      text NOT NULL,
    size_bytes       bigint NOT NULL,
    importer_version text NOT NULL,
    records_read     int NOT NULL,
    records_new      int NOT NULL,
    records_rejected int NOT NULL,
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, file_sha256)              -- the same file twice adds nothing
);

-- One row per record of a source: a mix, a CSV row, a rekordbox TRACK or PLAYLIST node, a feature row.
CREATE TABLE bronze.raw_record (
    record_id        bigserial PRIMARY KEY,
    source           text NOT NULL,
    record_type      text NOT NULL,           -- mix | tracklist_row | library_track | library_playlist | feature_row
    source_key       text,                    -- id inside the source (mix id, TrackID, row key)
    source_url       text,
    file_id          bigint NOT NULL REFERENCES bronze.ingest_file (file_id),
    position         int NOT NULL,            -- 0-based index of the record in its file
    payload          jsonb NOT NULL,          -- the record verbatim
    content_hash     text NOT NULL,           -- sha256 of the canonical payload
    importer_version text NOT NULL,
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, record_type, content_hash)
);
CREATE INDEX raw_record_source_idx ON bronze.raw_record (source, record_type, record_id);

-- Records an importer could not read (broken JSON, missing columns, wrong encoding): raw text kept.
CREATE TABLE bronze.reject (
    reject_id        bigserial PRIMARY KEY,
    source           text NOT NULL,
    file_id          bigint REFERENCES bronze.ingest_file (file_id),
    path             text NOT NULL,
    position         int,                     -- record index, CSV line, ... when known
    reason           text NOT NULL,
    raw_text         text NOT NULL,
    content_hash     text NOT NULL,
    importer_version text NOT NULL,
    rejected_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, content_hash)
);

-- Raw responses of online providers, so replays reuse them instead of refetching.
CREATE TABLE bronze.provider_response (
    response_id      bigserial PRIMARY KEY,
    provider         text NOT NULL,
    request_key      text NOT NULL,           -- canonical request (method, path, sorted params)
    request_url      text NOT NULL,
    status_code      int NOT NULL,
    response         jsonb,                   -- parsed body when JSON
    response_text    text,                    -- body when not JSON
    content_hash     text NOT NULL,
    fetched_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, request_key, content_hash)
);
CREATE INDEX provider_response_key_idx ON bronze.provider_response (provider, request_key, fetched_at DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ingest_file', 'raw_record', 'reject', 'provider_response'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON bronze.%I
                        FOR EACH ROW EXECUTE FUNCTION bronze.forbid_change()', t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON bronze.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION bronze.forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;
