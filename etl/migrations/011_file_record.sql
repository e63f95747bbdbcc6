-- Which records each ingested file contained. bronze.raw_record keeps one row per distinct content,
-- under the file that brought it first, so a record that a later file repeats verbatim was invisible
-- in that later file. A 1001Tracklists export is a whole snapshot of its tracklist: to know that a
-- newer export dropped or replaced a row, silver needs every row of the newer file, repeated or not.
CREATE TABLE bronze.file_record (
    file_id   bigint NOT NULL REFERENCES bronze.ingest_file (file_id),
    position  int NOT NULL,                   -- the record's index in that file
    record_id bigint NOT NULL REFERENCES bronze.raw_record (record_id),
    PRIMARY KEY (file_id, position)
);
CREATE INDEX file_record_record_idx ON bronze.file_record (record_id, file_id);

-- The files whose every record is in bronze.file_record: all files loaded from now on. Files loaded
-- before this migration are listed there only with the records they brought (below), which is not
-- their whole content when they repeated earlier records.
CREATE TABLE bronze.listed_file (
    file_id bigint PRIMARY KEY REFERENCES bronze.ingest_file (file_id)
);

INSERT INTO bronze.file_record (file_id, position, record_id)
SELECT file_id, position, record_id FROM bronze.raw_record;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['file_record', 'listed_file'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON bronze.%I
                        FOR EACH ROW EXECUTE FUNCTION bronze.forbid_change()', t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON bronze.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION bronze.forbid_change()', t || '_no_truncate', t);
    END LOOP;
END $$;

-- The rows of one tracklist ('<tracklist_id>:<index>') by key range. COLLATE "C": a range over
-- ':' .. ';' means byte order, which en_US and other linguistic collations do not follow.
CREATE INDEX raw_record_source_key_idx ON bronze.raw_record (source, record_type, (source_key COLLATE "C"));

-- The 1001Tracklists files silver has taken into account: a file that only repeats rows of earlier
-- exports brings no new bronze record, yet may make an older version of a tracklist current again.
CREATE TABLE silver.processed_file (
    file_id bigint PRIMARY KEY,               -- bronze.ingest_file; no FK (bulk-loaded by COPY)
    run_id  bigint NOT NULL
);
