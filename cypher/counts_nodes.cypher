// counts_nodes: node count per label (from the count store); a label without nodes counts 0
// params: none
// Aggregating before RETURN: `RETURN 'Track' AS kind, count(n)` would group by the literal and give no
// row at all for a label without nodes.
MATCH (n:Track) WITH count(n) AS count RETURN 'Track' AS kind, count
UNION ALL
MATCH (n:Artist) WITH count(n) AS count RETURN 'Artist' AS kind, count
UNION ALL
MATCH (n:Key) WITH count(n) AS count RETURN 'Key' AS kind, count
UNION ALL
MATCH (n:Set) WITH count(n) AS count RETURN 'Set' AS kind, count
UNION ALL
MATCH (n:Label) WITH count(n) AS count RETURN 'Label' AS kind, count
