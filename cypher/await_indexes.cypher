// await_indexes: wait (at most 300 s) until every index is ONLINE; new indexes populate in the background
// params: none
CALL db.awaitIndexes(300)
