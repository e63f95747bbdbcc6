// sweep_unkeyed_nodes: delete nodes of graphsvc's labels that have no key property (full projection)
// params: none
// The projection writes every node by its key (MERGE on id, or camelot for Key): a node without one comes
// from other data in the database and would make reconcile report drift.
MATCH (n)
WHERE (n:Track AND n.id IS NULL) OR (n:Artist AND n.id IS NULL) OR (n:Set AND n.id IS NULL)
   OR (n:Label AND n.id IS NULL) OR (n:Key AND n.camelot IS NULL)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS
