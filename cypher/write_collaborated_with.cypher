// write_collaborated_with: upsert COLLABORATED_WITH (stored once, a_id < b_id) from gold.collaborated_with
// params: $rows LIST<MAP> ([{a_id, b_id, weight, first_year, last_year}])
UNWIND $rows AS row
WITH row, row.a_id AS a_id, row.b_id AS b_id
MATCH (a:Artist {id: a_id})
MATCH (b:Artist {id: b_id})
MERGE (a)-[r:COLLABORATED_WITH]->(b)
SET r.weight = row.weight, r.first_year = row.first_year, r.last_year = row.last_year
