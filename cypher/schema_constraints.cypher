// schema_constraints: unique node keys, range, text and fulltext indexes of the graph (idempotent)
// params: none
// statements: several (the one exception to one-query-per-file: schema commands cannot share a
// statement, so the loader splits this file on `;` and runs each statement in order).
// Community Edition: only uniqueness constraints (node key / existence constraints are Enterprise).
CREATE CONSTRAINT track_id IF NOT EXISTS FOR (n:Track) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT artist_id IF NOT EXISTS FOR (n:Artist) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT key_camelot IF NOT EXISTS FOR (n:Key) REQUIRE n.camelot IS UNIQUE;
CREATE CONSTRAINT set_id IF NOT EXISTS FOR (n:Set) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT label_id IF NOT EXISTS FOR (n:Label) REQUIRE n.id IS UNIQUE;
CREATE INDEX track_bpm IF NOT EXISTS FOR (n:Track) ON (n.bpm);
CREATE INDEX track_camelot IF NOT EXISTS FOR (n:Track) ON (n.camelot);
CREATE INDEX set_date IF NOT EXISTS FOR (n:Set) ON (n.date);
CREATE INDEX artist_name_key IF NOT EXISTS FOR (n:Artist) ON (n.name_key);
CREATE TEXT INDEX artist_name_key_text IF NOT EXISTS FOR (n:Artist) ON (n.name_key);
CREATE INDEX key_pitch_mode IF NOT EXISTS FOR (n:Key) ON (n.pitch_class, n.mode);
CREATE TEXT INDEX track_search_key IF NOT EXISTS FOR (n:Track) ON (n.search_key);
