// clear_graph: delete every node of graphsvc's labels with its relationships, in batches (etl reset)
// params: none
// Nodes of other labels are left alone: the database may be shared.
MATCH (n)
WHERE n:Track OR n:Artist OR n:Key OR n:Set OR n:Label
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS
