// wipe: delete every node and relationship in batches (tests and full rebuilds only)
// params: none
MATCH (n)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS
