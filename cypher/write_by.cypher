// write_by: upsert BY relationships (track credited to artist in a role) from gold.by rows
// params: $rows LIST<MAP> ([{track_id, artist_id, role, position}])
UNWIND $rows AS row
WITH row.track_id AS track_id, row.artist_id AS artist_id, row.role AS role, row.position AS position
MATCH (t:Track {id: track_id})
MATCH (a:Artist {id: artist_id})
MERGE (t)-[r:BY {role: role}]->(a)
SET r.position = position
