// counts_relationships: relationship count per type (from the count store)
// params: none
MATCH ()-[r:BY]->() RETURN 'BY' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:COLLABORATED_WITH]->() RETURN 'COLLABORATED_WITH' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:TRANSITIONS_TO]->() RETURN 'TRANSITIONS_TO' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:IN_KEY]->() RETURN 'IN_KEY' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:COMPATIBLE]->() RETURN 'COMPATIBLE' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:CONTAINS]->() RETURN 'CONTAINS' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:PLAYED]->() RETURN 'PLAYED' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:SUPPORTS]->() RETURN 'SUPPORTS' AS kind, count(r) AS count
UNION ALL
MATCH ()-[r:ON_LABEL]->() RETURN 'ON_LABEL' AS kind, count(r) AS count
