// counts_nodes: node count per label (from the count store)
// params: none
MATCH (n:Track) RETURN 'Track' AS kind, count(n) AS count
UNION ALL
MATCH (n:Artist) RETURN 'Artist' AS kind, count(n) AS count
UNION ALL
MATCH (n:Key) RETURN 'Key' AS kind, count(n) AS count
UNION ALL
MATCH (n:Set) RETURN 'Set' AS kind, count(n) AS count
UNION ALL
MATCH (n:Label) RETURN 'Label' AS kind, count(n) AS count
