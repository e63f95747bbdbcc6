// write_contains: upsert CONTAINS (set entry at a position); replaces another track at that position
// params: $rows LIST<MAP> ([{set_id, track_id, position}])
UNWIND $rows AS row
WITH row.set_id AS set_id, row.track_id AS track_id, row.position AS position
MATCH (s:Set {id: set_id})
MATCH (t:Track {id: track_id})
CALL (s, t, position) {
  MATCH (s)-[old:CONTAINS]->(other:Track)
  WHERE old.position = position AND other <> t
  DELETE old
}
MERGE (s)-[:CONTAINS {position: position}]->(t)
