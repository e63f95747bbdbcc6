-- What a set's order means: 'mix' (a played mix or tracklist, or a DJ software's history log: its order is
-- what was played), 'playlist' (a library playlist: an order the DJ chose, maybe never played) or 'crate'
-- (no order). Only mixes give TRANSITIONS_TO (etl/gold.py); every kind gives CONTAINS.
ALTER TABLE gold.set ADD COLUMN kind text NOT NULL DEFAULT 'mix';
