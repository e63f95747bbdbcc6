// write_compatible: upsert COMPATIBLE key pairs (every non-clash ordered pair) from gold.compatible
// params: $rows LIST<MAP> ([{from_camelot, to_camelot, move, score}])
UNWIND $rows AS row
WITH row, row.from_camelot AS from_camelot, row.to_camelot AS to_camelot
MATCH (a:Key {camelot: from_camelot})
MATCH (b:Key {camelot: to_camelot})
MERGE (a)-[r:COMPATIBLE]->(b)
SET r.move = row.move, r.score = row.score
