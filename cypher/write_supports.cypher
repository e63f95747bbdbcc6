// write_supports: upsert SUPPORTS (a DJ plays another artist's tracks) from gold.supports
// params: $rows LIST<MAP> ([{dj_id, artist_id, count}])
UNWIND $rows AS row
WITH row, row.dj_id AS dj_id, row.artist_id AS artist_id
MATCH (d:Artist {id: dj_id})
MATCH (a:Artist {id: artist_id})
MERGE (d)-[r:SUPPORTS]->(a)
SET r.count = row.count
