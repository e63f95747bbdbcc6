-- Other keys under which a silver track is known: another spelling matched through an identifier
-- (YouTube id, ISRC, Beatport id) or the same track written differently in another source.
CREATE TABLE silver.track_alias (
    alias_key text PRIMARY KEY,
    track_id  bigint NOT NULL,
    strategy  text NOT NULL                   -- identifier:<scheme> | ...
);
CREATE INDEX track_alias_track_idx ON silver.track_alias (track_id);
