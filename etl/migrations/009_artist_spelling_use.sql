-- How often each spelling of an artist is used, per bronze record, so the canonical name can be the
-- spelling most sources use instead of whichever was met first ("The Prodigy" written 16 times beats
-- "Prodigy" written 4 times; "andhim" 48 times beats "Andhim" twice).
--
-- One row per (record, artist, spelling) with the count of credits in that record: written in the same
-- transaction as the record's other silver rows (COPY, no index: it is only ever aggregated as a whole),
-- so a resumed run ends with exactly the rows of an uninterrupted one and nothing is counted twice.
CREATE TABLE silver.artist_spelling_use (
    record_id  bigint NOT NULL,               -- bronze.raw_record
    artist_id  bigint NOT NULL,               -- silver.artist (no FK: bulk-loaded like set_entry)
    spelling   text NOT NULL,                 -- display form of the credit as written (whitespace collapsed)
    uses       int NOT NULL CHECK (uses > 0)
);
