// sweep_stray_relationships: delete relationships of graphsvc's types that the model cannot hold (full projection)
// params: none
// A relationship of one of the model's types between nodes of other labels, or a second copy of one
// (same ends, same role or position), is never written by the projection and would make reconcile report
// drift (counts see every relationship of the type). A full projection into a database that held other
// data removes them; everything it wrote itself is one relationship per gold row.
CALL () {
  MATCH (a)-[r:BY]->(b)
  WITH a, b, r.role AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Track AND b:Artist)
  RETURN r
  UNION ALL
  MATCH (a)-[r:COLLABORATED_WITH]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Artist AND b:Artist)
  RETURN r
  UNION ALL
  MATCH (a)-[r:TRANSITIONS_TO]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Track AND b:Track)
  RETURN r
  UNION ALL
  MATCH (a)-[r:IN_KEY]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Track AND b:Key)
  RETURN r
  UNION ALL
  MATCH (a)-[r:COMPATIBLE]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Key AND b:Key)
  RETURN r
  UNION ALL
  MATCH (a)-[r:CONTAINS]->(b)
  WITH a, b, r.position AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Set AND b:Track)
  RETURN r
  UNION ALL
  MATCH (a)-[r:PLAYED]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Artist AND b:Set)
  RETURN r
  UNION ALL
  MATCH (a)-[r:SUPPORTS]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Artist AND b:Artist)
  RETURN r
  UNION ALL
  MATCH (a)-[r:ON_LABEL]->(b)
  WITH a, b, null AS extra, collect(r) AS copies
  UNWIND range(0, size(copies) - 1) AS i
  WITH copies[i] AS r, i, a, b
  WHERE i > 0 OR NOT (a:Track AND b:Label)
  RETURN r
}
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF 10000 ROWS
