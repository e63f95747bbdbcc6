// write_played: upsert PLAYED (DJ artist of a set) from gold.played
// params: $rows LIST<MAP> ([{artist_id, set_id}])
UNWIND $rows AS row
WITH row.artist_id AS artist_id, row.set_id AS set_id
MATCH (a:Artist {id: artist_id})
MATCH (s:Set {id: set_id})
MERGE (a)-[:PLAYED]->(s)
