// ping: a trivial read, proving the database answers
// params: none
RETURN 1 AS ok
