// write_transitions_to: upsert TRANSITIONS_TO (consecutive set entries) from gold.transitions_to
// params: $rows LIST<MAP> ([{from_id, to_id, count, djs, last_seen: DATE}])
UNWIND $rows AS row
WITH row, row.from_id AS from_id, row.to_id AS to_id
MATCH (f:Track {id: from_id})
MATCH (t:Track {id: to_id})
MERGE (f)-[r:TRANSITIONS_TO]->(t)
SET r.count = row.count, r.djs = row.djs, r.last_seen = row.last_seen
