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

-- Files loaded before this migration: the records they brought. A file whose rows are not all here
-- (it repeated earlier records) has fewer file_record rows than records_read - records_rejected;
-- readers treat such a file's membership as unknown.
INSERT INTO bronze.file_record (file_id, position, record_id)
SELECT file_id, position, record_id FROM bronze.raw_record;

CREATE TRIGGER file_record_append_only BEFORE UPDATE OR DELETE ON bronze.file_record
    FOR EACH ROW EXECUTE FUNCTION bronze.forbid_change();
CREATE TRIGGER file_record_no_truncate BEFORE TRUNCATE ON bronze.file_record
    FOR EACH STATEMENT EXECUTE FUNCTION bronze.forbid_change();

-- the rows of one tracklist (source_key '<tracklist_id>:<index>') or of one mix, by key
CREATE INDEX raw_record_source_key_idx ON bronze.raw_record (source, record_type, source_key);
