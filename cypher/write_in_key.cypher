// write_in_key: set the IN_KEY of changed tracks from gold.track.camelot (null camelot: no key)
// params: $rows LIST<MAP> ([{track_id, camelot: STRING | null}])
UNWIND $rows AS row
WITH row.track_id AS track_id, row.camelot AS camelot
MATCH (t:Track {id: track_id})
CALL (t, camelot) {
  MATCH (t)-[old:IN_KEY]->(k:Key)
  WHERE camelot IS NULL OR k.camelot <> camelot
  DELETE old
}
WITH t, camelot
WHERE camelot IS NOT NULL
MATCH (k:Key {camelot: camelot})
MERGE (t)-[:IN_KEY]->(k)
