-- Default waterfall configuration (field, provider, priority, min_confidence) and the indexes the
-- enrichment engine and replays need. Online providers (getsongbpm, discogs, musicbrainz) are listed
-- here but only answer when configured in the settings (API key / enabled flag); until then the
-- waterfall skips them and notes them once per run in ops.run.stats (enrichment.disabled_providers).
INSERT INTO enrichment.metadata_enrichment_config (field, provider, priority, min_confidence) VALUES
    ('bpm',          'rekordbox',      1, 0.8),
    ('bpm',          'features',       2, 0.7),
    ('bpm',          '1001tracklists', 3, 0.6),
    ('bpm',          'getsongbpm',     4, 0.6),
    ('key',          'rekordbox',      1, 0.8),
    ('key',          'features',       2, 0.7),
    ('key',          '1001tracklists', 3, 0.6),
    ('key',          'getsongbpm',     4, 0.6),
    ('energy',       '1001tracklists', 1, 0.6),
    ('genres',       '1001tracklists', 1, 0.6),
    ('genres',       'discogs',        2, 0.5),
    ('genres',       'musicbrainz',    3, 0.5),
    ('label',        'mixesdb',        1, 0.5),
    ('label',        'rekordbox',      2, 0.6),
    ('label',        'discogs',        3, 0.5),
    ('label',        'musicbrainz',    4, 0.5),
    ('release_year', 'mixesdb',        1, 0.5),
    ('release_year', 'discogs',        2, 0.5),
    ('release_year', 'musicbrainz',    3, 0.5),
    ('isrc',         'musicbrainz',    1, 0.6)
ON CONFLICT (field, provider) DO NOTHING;

CREATE INDEX IF NOT EXISTS field_history_run_idx ON enrichment.field_history (run_id);
-- the replay worker picks queued entries in order
CREATE INDEX IF NOT EXISTS replay_queue_status_idx ON enrichment.replay_queue (status, replay_id);
-- replay filter {"source": ...}: tracks with an observation of a source
CREATE INDEX IF NOT EXISTS observation_source_track_idx ON silver.observation (source, track_id);
