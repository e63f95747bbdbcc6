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

-- Figures measured by scripts/source_agreement.py on the shared data, 2026-12-02: accuracy triangulated from
-- pairwise agreement (key exact; BPM within 2%); match factors = agreement of values reached through the
-- strategy / agreement of exact matches. See docs/evaluation.md. Estimates of 1 are written as 0.99.
INSERT INTO enrichment.source_confidence (kind, field, confidence, basis, pairs, ci_low, ci_high) VALUES
    ('rekordbox',  'bpm',          0.99,  'measured: triangulated (spotify 430, traktor 35, virtualdj 10, essentia 18)', 493, 0.945, 1.0),
    ('rekordbox',  'key',          0.761, 'measured: triangulated (spotify 430, traktor 35, virtualdj 10)', 475, 0.642, 0.895),
    ('rekordbox',  'label',        0.7,   'prior: user tags', NULL, NULL, NULL),
    ('rekordbox',  'release_year', 0.7,   'prior: user tags', NULL, NULL, NULL),
    ('rekordbox',  'genres',       0.5,   'prior: user tags, often one genre for everything', NULL, NULL, NULL),
    ('traktor',    'bpm',          0.835, 'measured: triangulated (spotify 451, rekordbox 35, virtualdj 13)', 499, 0.779, 0.919),
    ('traktor',    'key',          0.696, 'measured: triangulated (spotify 444, rekordbox 35, virtualdj 13)', 492, 0.581, 0.823),
    ('traktor',    'label',        0.7,   'prior: user tags', NULL, NULL, NULL),
    ('traktor',    'release_year', 0.7,   'prior: user tags', NULL, NULL, NULL),
    ('traktor',    'genres',       0.5,   'prior: user tags', NULL, NULL, NULL),
    ('mixxx',      'bpm',          0.99,  'measured: triangulated (spotify 17): few pairs', 17, 0.788, 1.0),
    ('mixxx',      'key',          0.219, 'measured: triangulated (spotify 17): few pairs', 17, 0.097, 0.569),
    ('mixxx',      'release_year', 0.7,   'prior: user tags', NULL, NULL, NULL),
    ('mixxx',      'genres',       0.5,   'prior: user tags', NULL, NULL, NULL),
    ('virtualdj',  'bpm',          0.937, 'measured: triangulated (spotify 109, traktor 13, rekordbox 10)', 132, 0.866, 1.0),
    ('virtualdj',  'key',          0.867, 'measured: triangulated (spotify 109, traktor 13, rekordbox 10)', 132, 0.682, 1.0),
    ('virtualdj',  'label',        0.7,   'prior: user tags', NULL, NULL, NULL),
    ('virtualdj',  'release_year', 0.7,   'prior: user tags', NULL, NULL, NULL),
    ('virtualdj',  'genres',       0.5,   'prior: user tags', NULL, NULL, NULL),
    ('spotify',    'bpm',          0.822, 'measured: triangulated (traktor 451, rekordbox 430, virtualdj 109, essentia 19, mixxx 17)', 1026, 0.761, 0.870),
    ('spotify',    'key',          0.538, 'measured: triangulated (traktor 444, rekordbox 430, virtualdj 109, mixxx 17)', 1000, 0.458, 0.637),
    ('spotify',    'energy',       0.7,   'prior: Spotify''s own descriptor, no other source has it', NULL, NULL, NULL),
    ('spotify',    'genres',       0.65,  'prior: artist genres, not track genres', NULL, NULL, NULL),
    ('giantsteps', 'key',          0.95,  'prior: expert annotation (too few shared recordings to measure: 12)', NULL, NULL, NULL),
    ('giantsteps', 'genres',       0.7,   'prior: Beatport genre of the release', NULL, NULL, NULL),
    ('beatport',   'key',          0.298, 'measured: Beatport key = GiantSteps expert key (scripts/giantsteps_agreement.py)', 590, 0.259, 0.336),
    ('beatport',   'bpm',          0.8,   'prior', NULL, NULL, NULL),
    ('beatport',   'genres',       0.7,   'prior: Beatport genre of the release', NULL, NULL, NULL),
    ('essentia',   'bpm',          0.357, 'measured: triangulated (spotify 19, rekordbox 18): previews', 37, 0.208, 0.554),
    ('essentia',   'genres',       0.7,   'prior: Beatport genre of the chart', NULL, NULL, NULL),
    ('generic',    'bpm',          0.6,   'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('generic',    'key',          0.4,   'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('generic',    'energy',       0.5,   'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('generic',    'genres',       0.5,   'prior: a feature file of unknown origin', NULL, NULL, NULL),
    ('mixesdb',    'label',        0.6,   'prior: label block of a MixesDB entry', NULL, NULL, NULL),
    ('mixesdb',    'release_year', 0.6,   'prior: label block of a MixesDB entry', NULL, NULL, NULL),
    -- how sure a match of an observation to its track is, per match strategy (1 when not listed: an
    -- identifier, the exact track key, an Artist tag, a featured artist listed as an artist)
    ('match', 'library:name',            0.947, 'measured: values agree 0.624 (n=498) vs 0.660 for tags', 498, 0.872, 1.0),
    ('match', 'library:file_name',       0.658, 'measured: 3,901 of 5,925 file names of tagged library tracks read as their tags', 5925, NULL, NULL),
    ('match', 'library:soundcloud_name', 0.7,   'prior: the uploader may be a label', NULL, NULL, NULL),
    ('match', 'other_edit',              0.969, 'measured: values agree 0.635 (n=299) vs 0.656 for exact matches', 299, 0.876, 1.0),
    ('match', 'first_artist',            0.802, 'measured: values agree 0.526 (n=194) vs 0.656 for exact matches', 194, 0.696, 0.907),
    ('match', 'first_artist_other_edit', 0.892, 'measured: values agree 0.585 (n=41) vs 0.656 for exact matches', 41, 0.636, 1.0),
    ('match', 'recording_mate',          1.0,   'measured: two kinds agree 0.684 (n=79) across edits vs 0.659 on one track', 79, 0.866, 1.0);

-- The waterfall for tempo and key, ordered by the measured confidences and with one rule for the
-- thresholds: a key is used when it is at least as likely right as wrong (0.5: a Spotify key, 0.54, is; a
-- Mixxx key, 0.22, or one read from a file name of a Traktor track, 0.46, is not), a tempo when it is
-- right 6 times in 10 (0.6: Essentia's BPMs of previews, 0.36, are not). A configuration still as
-- migration 005 left it is replaced; one a user changed keeps its rows and gets the new programs last.
DO $$
DECLARE
    bpm_005 text[] := ARRAY['1:rekordbox:0.80', '2:features:0.70', '3:1001tracklists:0.60', '4:getsongbpm:0.60'];
    key_005 text[] := ARRAY['1:rekordbox:0.80', '2:features:0.70', '3:1001tracklists:0.60', '4:getsongbpm:0.60'];
BEGIN
    IF (SELECT array_agg(priority || ':' || provider || ':' || round(min_confidence::numeric, 2) ORDER BY priority)
        FROM enrichment.metadata_enrichment_config WHERE field = 'bpm') = bpm_005 THEN
        DELETE FROM enrichment.metadata_enrichment_config WHERE field = 'bpm';
        INSERT INTO enrichment.metadata_enrichment_config (field, provider, priority, min_confidence) VALUES
            ('bpm', 'rekordbox', 1, 0.6), ('bpm', 'virtualdj', 2, 0.6), ('bpm', 'traktor', 3, 0.6),
            ('bpm', 'mixxx', 4, 0.6), ('bpm', 'features', 5, 0.6), ('bpm', '1001tracklists', 6, 0.6),
            ('bpm', 'getsongbpm', 7, 0.6);
    END IF;
    IF (SELECT array_agg(priority || ':' || provider || ':' || round(min_confidence::numeric, 2) ORDER BY priority)
        FROM enrichment.metadata_enrichment_config WHERE field = 'key') = key_005 THEN
        DELETE FROM enrichment.metadata_enrichment_config WHERE field = 'key';
        INSERT INTO enrichment.metadata_enrichment_config (field, provider, priority, min_confidence) VALUES
            ('key', 'rekordbox', 1, 0.5), ('key', 'virtualdj', 2, 0.5), ('key', 'traktor', 3, 0.5),
            ('key', 'features', 4, 0.5), ('key', '1001tracklists', 5, 0.5), ('key', 'getsongbpm', 6, 0.6),
            ('key', 'mixxx', 7, 0.5);
    END IF;
END $$;

INSERT INTO enrichment.metadata_enrichment_config (field, provider, priority, min_confidence) VALUES
    ('bpm',          'traktor',   11, 0.6),
    ('bpm',          'mixxx',     12, 0.6),
    ('bpm',          'virtualdj', 13, 0.6),
    ('key',          'traktor',   11, 0.5),
    ('key',          'mixxx',     12, 0.5),
    ('key',          'virtualdj', 13, 0.5),
    ('label',        'traktor',    11, 0.6),
    ('label',        'virtualdj',  12, 0.6)
ON CONFLICT DO NOTHING;
