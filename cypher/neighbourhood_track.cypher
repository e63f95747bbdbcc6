// neighbourhood_track: a track and the nodes within $depth hops over every relationship but COMPATIBLE
// params: $id INTEGER, $depth INTEGER (1-2), $limit INTEGER (1-500)
// Ranked (hops asc, degree desc, label, key asc); edges among the kept nodes. Depth branches are gated
// by $depth because quantifier bounds cannot be parameters in Cypher 5.
MATCH (c:Track {id: $id})
CALL (c) {
  RETURN c AS n, 0 AS hops
  UNION
  WITH c WHERE $depth = 1
  MATCH p = SHORTEST 1 (c)-[r WHERE NOT r:COMPATIBLE]-{1,1}(n)
  WHERE n <> c
  RETURN n, length(p) AS hops
  UNION
  WITH c WHERE $depth = 2
  MATCH p = SHORTEST 1 (c)-[r WHERE NOT r:COMPATIBLE]-{1,2}(n)
  WHERE n <> c
  RETURN n, length(p) AS hops
}
WITH c, n, hops, COUNT { (n)-[x]-() WHERE NOT x:COMPATIBLE } AS degree, labels(n)[0] AS label
ORDER BY hops, degree DESC, label, n.id, n.camelot
// grouped by c: an unknown start node gives no row at all (a bare collect() would give one empty row)
WITH c, collect({node: n, hops: hops, degree: degree, label: label}) AS ranked
WITH ranked[0..$limit] AS kept, size(ranked) > $limit AS truncated
WITH kept, truncated, [k IN kept | k.node] AS members
CALL (members) {
  UNWIND members AS a
  MATCH (a)-[r]->(b)
  WHERE NOT r:COMPATIBLE AND b IN members
  RETURN collect({source_label: labels(a)[0], source_key: coalesce(a.id, a.camelot), target_label: labels(b)[0],
    target_key: coalesce(b.id, b.camelot), type: type(r), properties: properties(r)}) AS edges
}
RETURN [k IN kept | {label: k.label, key: coalesce(k.node.id, k.node.camelot), properties: properties(k.node),
  hops: k.hops, degree: k.degree}] AS nodes, edges, truncated
