-- Gold for the recommender: popularity and trend per track and artist, the genres of each set (from its
-- tags) and each track's scene genres (the genres of the sets that played it), and the fitted next-track
-- ranking model. Columns are filled by etl/gold.py (popularity, genres) and etl/ranker.py (gold.ranker).
--
-- "recent" = sets dated within RECENT_DAYS (365) before the latest set date in silver (the data's own
-- "now", so a rebuild of unchanged data gives the same values whatever the clock says).

ALTER TABLE gold.track
    ADD COLUMN djs          int NOT NULL DEFAULT 0,      -- distinct DJs who played it
    ADD COLUMN plays_recent int NOT NULL DEFAULT 0,      -- set entries in the recent window
    ADD COLUMN djs_recent   int NOT NULL DEFAULT 0,
    ADD COLUMN trend        float8 NOT NULL DEFAULT 0,   -- ln((recent + 1) / (expected recent + 1))
    ADD COLUMN scene_genres text[] NOT NULL DEFAULT '{}';

ALTER TABLE gold.artist
    ADD COLUMN plays        int NOT NULL DEFAULT 0,      -- set entries of tracks the artist is a primary artist of
    ADD COLUMN djs          int NOT NULL DEFAULT 0,
    ADD COLUMN plays_recent int NOT NULL DEFAULT 0,
    ADD COLUMN trend        float8 NOT NULL DEFAULT 0;

ALTER TABLE gold.set
    ADD COLUMN genres text[] NOT NULL DEFAULT '{}';

-- the genre vocabulary (graphsvc.genres): tag key (lower case) -> canonical name; static like gold.key
CREATE TABLE gold.genre (
    key  text PRIMARY KEY,
    name text NOT NULL
);

-- The next-track ranking model in use (graphsvc.recommend.model.Ranker as JSON) and what it was fitted on
-- (etl/ranker.py). gold_seq: the gold change_seq watermark it was fitted at; the pipeline refits only when
-- gold changed since (a bookkeeping value like change_seq, not content).
CREATE TABLE gold.ranker (
    name      text PRIMARY KEY,
    model     jsonb NOT NULL,
    fitted_on jsonb NOT NULL,
    gold_seq  bigint NOT NULL
);
