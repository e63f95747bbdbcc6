-- Gold: the graph as tables, rebuilt from silver by etl/gold.py. Column names are the graph property
-- names (graphsvc/graph/model.py), so projecting into a graph store is a plain copy.
--
-- change_seq: every row carries the value of the global sequence at the rebuild that last changed its
-- content; a rebuild that produces an identical row leaves it alone. Rows that disappear are deleted
-- and recorded in gold.tombstone. A projection remembers the highest change_seq it applied
-- (gold.projection_state) and next time applies only rows/tombstones above that watermark.
CREATE SCHEMA IF NOT EXISTS gold;

CREATE SEQUENCE gold.change_seq_seq;

CREATE TABLE gold.track (
    id         bigint PRIMARY KEY,
    title      text NOT NULL,
    version    text,
    artists    text NOT NULL,
    bpm        float8,
    key_pc     int,
    key_mode   int,
    camelot    text,
    energy     float8,
    genres     text[] NOT NULL DEFAULT '{}',
    plays      int NOT NULL DEFAULT 0,        -- set entries
    sets       int NOT NULL DEFAULT 0,        -- distinct sets
    quality    float8,
    label      text,
    label_id   bigint,
    year       int,
    duration_s float8,
    change_seq bigint NOT NULL
);

CREATE TABLE gold.artist (
    id         bigint PRIMARY KEY,
    name       text NOT NULL,
    name_key   text NOT NULL,
    tracks     int NOT NULL DEFAULT 0,        -- distinct tracks credited in any role
    sets       int NOT NULL DEFAULT 0,        -- sets played as DJ
    change_seq bigint NOT NULL
);

-- the 24 keys of the Camelot wheel (static, from graphsvc.harmonic)
CREATE TABLE gold.key (
    camelot     text PRIMARY KEY,
    pitch_class int NOT NULL,
    mode        int NOT NULL,
    name        text NOT NULL,
    open_key    text NOT NULL,
    number      int NOT NULL,
    letter      text NOT NULL
);

CREATE TABLE gold.set (
    id         bigint PRIMARY KEY,
    title      text NOT NULL,
    dj         text,
    date       date,
    venue      text,
    event      text,
    show       text,
    source     text NOT NULL,
    tracks     int NOT NULL DEFAULT 0,        -- identified entries (gaps excluded)
    change_seq bigint NOT NULL
);

CREATE TABLE gold.label (
    id         bigint PRIMARY KEY,
    name       text NOT NULL,
    tracks     int NOT NULL DEFAULT 0,
    change_seq bigint NOT NULL
);

CREATE TABLE gold.by (
    track_id   bigint NOT NULL,
    artist_id  bigint NOT NULL,
    role       text NOT NULL,
    position   int NOT NULL,
    change_seq bigint NOT NULL,
    PRIMARY KEY (track_id, artist_id, role)
);
CREATE INDEX by_artist_idx ON gold.by (artist_id);

CREATE TABLE gold.collaborated_with (
    a_id       bigint NOT NULL,
    b_id       bigint NOT NULL,
    weight     int NOT NULL,                  -- distinct shared tracks (any roles)
    first_year int,
    last_year  int,
    change_seq bigint NOT NULL,
    PRIMARY KEY (a_id, b_id),
    CHECK (a_id < b_id)
);
CREATE INDEX collaborated_with_b_idx ON gold.collaborated_with (b_id);

CREATE TABLE gold.transitions_to (
    from_id    bigint NOT NULL,
    to_id      bigint NOT NULL,
    count      int NOT NULL,
    djs        int NOT NULL,                  -- distinct DJ artists
    last_seen  date,
    change_seq bigint NOT NULL,
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
);
CREATE INDEX transitions_to_to_idx ON gold.transitions_to (to_id);

CREATE TABLE gold.compatible (
    from_camelot text NOT NULL,
    to_camelot   text NOT NULL,
    move         text NOT NULL,
    score        float8 NOT NULL,
    PRIMARY KEY (from_camelot, to_camelot)
);

CREATE TABLE gold.contains (
    set_id     bigint NOT NULL,
    track_id   bigint NOT NULL,
    position   int NOT NULL,
    change_seq bigint NOT NULL,
    PRIMARY KEY (set_id, position)
);
CREATE INDEX contains_track_idx ON gold.contains (track_id);

CREATE TABLE gold.played (
    artist_id  bigint NOT NULL,
    set_id     bigint NOT NULL,
    change_seq bigint NOT NULL,
    PRIMARY KEY (artist_id, set_id)
);

CREATE TABLE gold.supports (
    dj_id      bigint NOT NULL,
    artist_id  bigint NOT NULL,
    count      int NOT NULL,                  -- set entries of the DJ's sets whose primary artist is artist_id
    change_seq bigint NOT NULL,
    PRIMARY KEY (dj_id, artist_id),
    CHECK (dj_id <> artist_id)
);

-- Rows deleted from gold. kind = node label or relationship type (Track, BY, ...); key = the primary
-- key columns joined by ':' (e.g. '123', '12:34', '12:34:primary'). A key that comes back loses its
-- tombstone (its row then carries a newer change_seq).
CREATE TABLE gold.tombstone (
    kind       text NOT NULL,
    key        text NOT NULL,
    change_seq bigint NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX tombstone_seq_idx ON gold.tombstone (change_seq);

CREATE TABLE gold.projection_state (
    target       text PRIMARY KEY,            -- 'neo4j:<uri>/<db>' | 'embedded'
    watermark    bigint NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX track_change_seq_idx ON gold.track (change_seq);
CREATE INDEX artist_change_seq_idx ON gold.artist (change_seq);
CREATE INDEX set_change_seq_idx ON gold.set (change_seq);
CREATE INDEX label_change_seq_idx ON gold.label (change_seq);
CREATE INDEX by_change_seq_idx ON gold.by (change_seq);
CREATE INDEX collaborated_with_change_seq_idx ON gold.collaborated_with (change_seq);
CREATE INDEX transitions_to_change_seq_idx ON gold.transitions_to (change_seq);
CREATE INDEX contains_change_seq_idx ON gold.contains (change_seq);
CREATE INDEX played_change_seq_idx ON gold.played (change_seq);
CREATE INDEX supports_change_seq_idx ON gold.supports (change_seq);
