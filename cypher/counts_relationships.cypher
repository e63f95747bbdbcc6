// counts_relationships: relationship count per type (from the count store); a type without relationships counts 0
// params: none
// Aggregating before RETURN: `RETURN 'BY' AS kind, count(r)` would group by the literal and give no row
// at all for a type without relationships (KeyError: 'SUPPORTS' on a graph with no support).
MATCH ()-[r:BY]->() WITH count(r) AS count RETURN 'BY' AS kind, count
UNION ALL
MATCH ()-[r:COLLABORATED_WITH]->() WITH count(r) AS count RETURN 'COLLABORATED_WITH' AS kind, count
UNION ALL
MATCH ()-[r:TRANSITIONS_TO]->() WITH count(r) AS count RETURN 'TRANSITIONS_TO' AS kind, count
UNION ALL
MATCH ()-[r:IN_KEY]->() WITH count(r) AS count RETURN 'IN_KEY' AS kind, count
UNION ALL
MATCH ()-[r:COMPATIBLE]->() WITH count(r) AS count RETURN 'COMPATIBLE' AS kind, count
UNION ALL
MATCH ()-[r:CONTAINS]->() WITH count(r) AS count RETURN 'CONTAINS' AS kind, count
UNION ALL
MATCH ()-[r:PLAYED]->() WITH count(r) AS count RETURN 'PLAYED' AS kind, count
UNION ALL
MATCH ()-[r:SUPPORTS]->() WITH count(r) AS count RETURN 'SUPPORTS' AS kind, count
UNION ALL
MATCH ()-[r:ON_LABEL]->() WITH count(r) AS count RETURN 'ON_LABEL' AS kind, count
