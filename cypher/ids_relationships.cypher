// ids_relationships: every (start key, end key, extra) of one relationship type, for reconcile
// params: $type STRING
// extra is the role for BY, the position for CONTAINS and null otherwise.
MATCH (a:Track)-[r:BY]->(b:Artist) WHERE $type = 'BY' RETURN a.id AS start, b.id AS end, r.role AS extra
UNION ALL
MATCH (a:Artist)-[r:COLLABORATED_WITH]->(b:Artist) WHERE $type = 'COLLABORATED_WITH'
RETURN a.id AS start, b.id AS end, null AS extra
UNION ALL
MATCH (a:Track)-[r:TRANSITIONS_TO]->(b:Track) WHERE $type = 'TRANSITIONS_TO' RETURN a.id AS start, b.id AS end, null AS extra
UNION ALL
MATCH (a:Track)-[r:IN_KEY]->(b:Key) WHERE $type = 'IN_KEY' RETURN a.id AS start, b.camelot AS end, null AS extra
UNION ALL
MATCH (a:Key)-[r:COMPATIBLE]->(b:Key) WHERE $type = 'COMPATIBLE' RETURN a.camelot AS start, b.camelot AS end, null AS extra
UNION ALL
MATCH (a:Set)-[r:CONTAINS]->(b:Track) WHERE $type = 'CONTAINS' RETURN a.id AS start, b.id AS end, r.position AS extra
UNION ALL
MATCH (a:Artist)-[r:PLAYED]->(b:Set) WHERE $type = 'PLAYED' RETURN a.id AS start, b.id AS end, null AS extra
UNION ALL
MATCH (a:Artist)-[r:SUPPORTS]->(b:Artist) WHERE $type = 'SUPPORTS' RETURN a.id AS start, b.id AS end, null AS extra
UNION ALL
MATCH (a:Track)-[r:ON_LABEL]->(b:Label) WHERE $type = 'ON_LABEL' RETURN a.id AS start, b.id AS end, null AS extra
