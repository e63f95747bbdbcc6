-- Silver: validated, parsed, deduplicated entities. Ids are deterministic (a 63-bit hash of the
-- natural key, see graphsvc.ids), so a rebuild from the same bronze gives the same ids and the same
-- API URLs. Every bronze record (and every item inside one, such as a tracklist entry) ends up in
-- exactly one place: a silver row, a gap, or silver.reject with the reason.
CREATE SCHEMA IF NOT EXISTS silver;

-- Bronze records consumed by silver; the incremental cursor (bronze itself is never updated).
CREATE TABLE silver.processed_record (
    record_id    bigint PRIMARY KEY,          -- bronze.raw_record.record_id
    run_id       bigint NOT NULL,
    outcome      text NOT NULL,               -- set | set_row | library_track | library_playlist | feature | rejected
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE silver.artist (
    artist_id      bigint PRIMARY KEY,
    canonical_name text NOT NULL UNIQUE,
    name_key       text NOT NULL UNIQUE,      -- normalized: case fold, transliteration, punctuation, leading "The"
    first_record_id bigint,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Every spelling met, pointing to its artist, with how it was matched.
CREATE TABLE silver.artist_alias (
    alias      text PRIMARY KEY,              -- the spelling as met
    alias_key  text NOT NULL,
    artist_id  bigint NOT NULL,
    strategy   text NOT NULL,                 -- canonical | normalized | fuzzy:<scorer>>=<threshold>
    score      real NOT NULL
);
CREATE INDEX artist_alias_artist_idx ON silver.artist_alias (artist_id);

CREATE TABLE silver.label (
    label_id bigint PRIMARY KEY,
    name     text NOT NULL,
    name_key text NOT NULL UNIQUE
);

CREATE TABLE silver.track (
    track_id          bigint PRIMARY KEY,
    track_key         text NOT NULL UNIQUE,   -- sorted primary artist keys | title key | version key
    title             text NOT NULL,
    version           text,                   -- "Extended Mix", "Dixon Edit", ...
    artists_display   text NOT NULL,
    label_id          bigint REFERENCES silver.label (label_id),
    catalog_number    text,
    release_year      smallint,
    duration_s        real,
    -- enriched fields (winner of the waterfall); provenance per field in `provenance`
    bpm               numeric(6, 2),
    key_pitch_class   smallint CHECK (key_pitch_class BETWEEN 0 AND 11),
    key_mode          smallint CHECK (key_mode IN (0, 1)),   -- 1 major, 0 minor
    camelot           text,
    energy            real CHECK (energy BETWEEN 0 AND 1),
    genres            text[] NOT NULL DEFAULT '{}',
    isrc              text,
    provenance        jsonb NOT NULL DEFAULT '{}',  -- field -> {provider, confidence, fetched_at, run_id}
    field_confidence  jsonb NOT NULL DEFAULT '{}',  -- field -> confidence
    quality_score     real,                   -- 0..1
    validation_status text NOT NULL DEFAULT 'pending',  -- pending | valid | incomplete | invalid
    needs_enrichment  boolean NOT NULL DEFAULT true,
    first_record_id   bigint,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX track_needs_enrichment_idx ON silver.track (track_id) WHERE needs_enrichment;

CREATE TABLE silver.track_artist (
    track_id  bigint NOT NULL,
    artist_id bigint NOT NULL,
    role      text NOT NULL CHECK (role IN ('primary', 'featured', 'remixer')),
    position  smallint NOT NULL,
    PRIMARY KEY (track_id, artist_id, role)
);
CREATE INDEX track_artist_artist_idx ON silver.track_artist (artist_id);

-- External ids: youtube, isrc, beatport, spotify, rekordbox, 1001tracklists.
CREATE TABLE silver.track_identifier (
    scheme   text NOT NULL,
    value    text NOT NULL,
    track_id bigint NOT NULL,
    PRIMARY KEY (scheme, value)
);
CREATE INDEX track_identifier_track_idx ON silver.track_identifier (track_id);

-- A DJ mix, a festival set, a radio show episode or a library playlist.
CREATE TABLE silver.dj_set (
    set_id         bigint PRIMARY KEY,
    source         text NOT NULL,
    source_key     text NOT NULL,
    record_id      bigint,                    -- bronze record of the whole set (mixesdb, rekordbox playlist)
    title          text NOT NULL,
    dj_display     text,
    set_date       date,
    date_precision text,                      -- day | month | year
    venue          text,
    event          text,
    show           text,
    url            text,
    audio_url      text,
    tags           text[] NOT NULL DEFAULT '{}',
    entry_count    int NOT NULL DEFAULT 0,
    gap_count      int NOT NULL DEFAULT 0,
    UNIQUE (source, source_key)
);

CREATE TABLE silver.set_dj (
    set_id    bigint NOT NULL,
    artist_id bigint NOT NULL,
    position  smallint NOT NULL,
    PRIMARY KEY (set_id, artist_id)
);

CREATE TABLE silver.set_entry (
    set_id     bigint NOT NULL,
    position   int NOT NULL,                  -- 1-based order in the set (gaps included)
    cue        text,                          -- "05", "12:20", "1:02:03"
    cue_seconds int,
    track_id   bigint NOT NULL,
    record_id  bigint NOT NULL,
    item_index int NOT NULL,                  -- index inside the bronze record (-1: the record itself)
    raw_title  text NOT NULL,
    PRIMARY KEY (set_id, position),
    UNIQUE (record_id, item_index)
);
CREATE INDEX set_entry_track_idx ON silver.set_entry (track_id);

-- Unidentified entries ("ID - ID", "?", "unknown"): they keep their place in the set but are no tracks.
CREATE TABLE silver.set_gap (
    set_id     bigint NOT NULL,
    position   int NOT NULL,
    cue        text,
    record_id  bigint NOT NULL,
    item_index int NOT NULL,
    raw_title  text NOT NULL,
    reason     text NOT NULL,
    PRIMARY KEY (set_id, position),
    UNIQUE (record_id, item_index)
);

-- 1001Tracklists mashups: the parts of a mashup played at a set position.
CREATE TABLE silver.mashup_component (
    set_id     bigint NOT NULL,
    position   int NOT NULL,
    track_id   bigint NOT NULL,
    record_id  bigint NOT NULL,
    item_index int NOT NULL,
    PRIMARY KEY (set_id, position, track_id),
    UNIQUE (record_id, item_index)
);

-- What a source says about a track (a rekordbox TRACK, a feature-file row, a 1001TL row with Spotify
-- features). Offline providers read these. track_id is NULL when the row matched no silver track.
CREATE TABLE silver.observation (
    observation_id bigint PRIMARY KEY,
    source         text NOT NULL,             -- rekordbox | features:<file stem> | 1001tracklists | mixesdb
    record_id      bigint NOT NULL,
    item_index     int NOT NULL,
    track_id       bigint,
    match_strategy text,                      -- track_key | identifier:<scheme> | fuzzy:<score>
    artist_raw     text,
    title_raw      text,
    bpm            numeric(6, 2),
    key_pitch_class smallint,
    key_mode       smallint,
    energy         real,
    genres         text[] NOT NULL DEFAULT '{}',
    label          text,
    catalog_number text,
    duration_s     real,
    rating         smallint,
    extra          jsonb NOT NULL DEFAULT '{}',
    UNIQUE (record_id, item_index)
);
CREATE INDEX observation_track_idx ON silver.observation (track_id);

-- A row that cannot become silver, with the reason. item_index -1 means the whole record.
CREATE TABLE silver.reject (
    record_id  bigint NOT NULL,
    item_index int NOT NULL,
    reason     text NOT NULL,
    raw_text   text NOT NULL,
    run_id     bigint NOT NULL,
    PRIMARY KEY (record_id, item_index)
);

-- A value that failed validation inside a row that did land (BPM 999, key "13A"): the row keeps
-- NULL for that field; the raw value and the reason are kept here.
CREATE TABLE silver.invalid_value (
    record_id  bigint NOT NULL,
    item_index int NOT NULL,
    field      text NOT NULL,
    raw_value  text NOT NULL,
    reason     text NOT NULL,
    run_id     bigint NOT NULL,
    PRIMARY KEY (record_id, item_index, field)
);
