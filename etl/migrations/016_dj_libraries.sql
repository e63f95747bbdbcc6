-- DJ libraries (rekordbox, Traktor, Mixxx, VirtualDJ), feature tables as they come (Spotify tables,
-- GiantSteps expert keys, Essentia BPMs of Beatport previews), and confidences measured per source.

-- What kind of source an observation comes from, for its confidence: rekordbox | traktor | mixxx |
-- virtualdj | spotify | giantsteps | beatport | essentia | generic | mixesdb (NULL on rows written
-- before this migration: the provider's own kind applies). How sure its match to the track is follows
-- from match_strategy (enrichment.source_confidence kind 'match'): an identifier or the exact track key
-- is certain; "Artist - Title" read from a library's Name or file name, or another edit of the same
-- recording (silver.track.recording_key), less so.
ALTER TABLE silver.observation
    ADD COLUMN kind text,
    -- "artist key|title key" per credited artist of a feature row that matched no track yet: a later run
    -- that creates a track with one of these keys matches the row again (etl.silver.sources.features)
    ADD COLUMN match_keys text[];
CREATE INDEX observation_unmatched_keys_idx ON silver.observation USING gin (match_keys) WHERE track_id IS NULL;

-- The recording a track is an edit of: primary artists | title | version without the words that name
-- an edit of the same recording (Original, Extended, Radio, Club, Edit, Remastered, a year...). "Title",
-- "Title (Extended Mix)" and "Title (Radio Edit)" share it; "Title (X Remix)" and "Title (X Remix) (Radio
-- Edit)" share theirs; a remix, a dub or a live version is a recording of its own. Tempo, key and energy
-- observed on one edit are evidence for the others (etl.enrichment.providers.load_observations).
ALTER TABLE silver.track ADD COLUMN recording_key text;
CREATE INDEX track_recording_key_idx ON silver.track (recording_key) WHERE recording_key IS NOT NULL;

-- Library playlists of other programs than rekordbox use the same set tables; nothing to add there.

-- The confidence of a value from a KIND of source for a field: the probability that it is right,
-- measured where two independent sources overlap (basis 'measured: ...', with the number of pairs and a
-- bootstrap 95% interval) or a stated prior where nothing overlaps (basis 'prior: ...'). Offline
-- providers read their confidences from here; every run's config snapshot holds a copy, so a replay under
-- a historical config uses the confidences of that time. scripts/source_agreement.py measures them;
-- docs/evaluation.md has the figures.
CREATE TABLE enrichment.source_confidence (
    kind       text NOT NULL,
    field      text NOT NULL,
    confidence real NOT NULL CHECK (confidence > 0 AND confidence <= 1),
    basis      text NOT NULL,
    pairs      int,
    ci_low     real,
    ci_high    real,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, field)
);

INSERT INTO enrichment.source_confidence (kind, field, confidence, basis, pairs, ci_low, ci_high) VALUES
    ('rekordbox',  'bpm',          0.95, 'prior: rekordbox analyses the audio', NULL, NULL, NULL),
    ('rekordbox',  'key',          0.85, 'prior: rekordbox analyses the audio', NULL, NULL, NULL),
    ('rekordbox',  'label',        0.7,  'prior: user tags', NULL, NULL, NULL),
    ('rekordbox',  'release_year', 0.7,  'prior: user tags', NULL, NULL, NULL),
    ('rekordbox',  'genres',       0.5,  'prior: user tags, often one genre for everything', NULL, NULL, NULL),
    ('traktor',    'bpm',          0.95, 'prior: Traktor analyses the audio', NULL, NULL, NULL),
    ('traktor',    'key',          0.85, 'prior: Traktor analyses the audio', NULL, NULL, NULL),
    ('traktor',    'label',        0.7,  'prior: user tags', NULL, NULL, NULL),
    ('traktor',    'release_year', 0.7,  'prior: user tags', NULL, NULL, NULL),
    ('traktor',    'genres',       0.5,  'prior: user tags', NULL, NULL, NULL),
    ('mixxx',      'bpm',          0.9,  'prior: Mixxx analyses the audio', NULL, NULL, NULL),
    ('mixxx',      'key',          0.8,  'prior: Mixxx analyses the audio', NULL, NULL, NULL),
    ('mixxx',      'release_year', 0.7,  'prior: user tags', NULL, NULL, NULL),
    ('mixxx',      'genres',       0.5,  'prior: user tags', NULL, NULL, NULL),
    ('virtualdj',  'bpm',          0.9,  'prior: VirtualDJ analyses the audio', NULL, NULL, NULL),
    ('virtualdj',  'key',          0.8,  'prior: VirtualDJ analyses the audio', NULL, NULL, NULL),
    ('virtualdj',  'label',        0.7,  'prior: user tags', NULL, NULL, NULL),
    ('virtualdj',  'release_year', 0.7,  'prior: user tags', NULL, NULL, NULL),
    ('virtualdj',  'genres',       0.5,  'prior: user tags', NULL, NULL, NULL),
    ('spotify',    'bpm',          0.75, 'prior', NULL, NULL, NULL),
    ('spotify',    'key',          0.5,  'prior', NULL, NULL, NULL),
    ('spotify',    'energy',       0.7,  'prior: Spotify''s own descriptor, no other source has it', NULL, NULL, NULL),
    ('spotify',    'genres',       0.65, 'prior: artist genres, not track genres', NULL, NULL, NULL),
    ('giantsteps', 'key',          0.95, 'prior: expert annotation', NULL, NULL, NULL),
    ('giantsteps', 'genres',       0.7,  'prior: Beatport genre of the release', NULL, NULL, NULL),
    ('beatport',   'key',          0.298, 'measured: Beatport key = GiantSteps expert key (scripts/giantsteps_agreement.py)', 590, 0.259, 0.336),
    ('beatport',   'bpm',          0.8,  'prior', NULL, NULL, NULL),
    ('beatport',   'genres',       0.7,  'prior: Beatport genre of the release', NULL, NULL, NULL),
    ('essentia',   'bpm',          0.8,  'prior: Essentia on 2-minute previews', NULL, NULL, NULL),
    ('essentia',   'genres',       0.7,  'prior: Beatport genre of the chart', NULL, NULL, NULL),
    ('generic',    'bpm',          0.6,  'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('generic',    'key',          0.4,  'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('generic',    'energy',       0.5,  'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('generic',    'genres',       0.5,  'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('mixesdb',    'label',        0.6,  'prior: label block of a MixesDB entry', NULL, NULL, NULL),
    ('mixesdb',    'release_year', 0.6,  'prior: label block of a MixesDB entry', NULL, NULL, NULL);

-- The other DJ programs in the waterfall, after rekordbox (a DJ can reorder them with etl config set).
INSERT INTO enrichment.metadata_enrichment_config (field, provider, priority, min_confidence) VALUES
    ('bpm',          'traktor',   11, 0.6),
    ('bpm',          'mixxx',     12, 0.6),
    ('bpm',          'virtualdj', 13, 0.6),
    ('key',          'traktor',   11, 0.5),
    ('key',          'mixxx',     12, 0.5),
    ('key',          'virtualdj', 13, 0.5),
    ('label',        'traktor',    11, 0.6),
    ('label',        'virtualdj',  12, 0.6)
ON CONFLICT (field, provider) DO NOTHING;
