// collaboration_paths: simple paths a -> b over COLLABORATED_WITH (undirected), shortest first
// params: $a INTEGER, $b INTEGER, $k INTEGER (1-10), $max_hops INTEGER (1-8)
// Quantifier bounds are literals ({1,8}); the group count is gated by $k (a superset when k < its
// literal). Both the hop bound and "no node twice" sit INSIDE the parenthesized path pattern with the
// path variable declared there: a pre-filter, so SHORTEST selects groups of simple paths within
// $max_hops (a WHERE after the pattern would be a post-filter applied after selection, and trails that
// revisit a node would use up groups). Order: hops asc, total weight desc, node id list asc; first $k.
MATCH (a:Artist {id: $a})
MATCH (b:Artist {id: $b})
CALL (a, b) {
  WITH a, b WHERE $k = 1
  MATCH SHORTEST 1 GROUPS (p = (a)-[:COLLABORATED_WITH]-{1,8}(b)
    WHERE length(p) <= $max_hops AND all(i IN range(0, length(p) - 1) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..]))
  RETURN p
  UNION
  WITH a, b WHERE $k IN [2, 3]
  MATCH SHORTEST 3 GROUPS (p = (a)-[:COLLABORATED_WITH]-{1,8}(b)
    WHERE length(p) <= $max_hops AND all(i IN range(0, length(p) - 1) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..]))
  RETURN p
  UNION
  WITH a, b WHERE $k >= 4
  MATCH SHORTEST 10 GROUPS (p = (a)-[:COLLABORATED_WITH]-{1,8}(b)
    WHERE length(p) <= $max_hops AND all(i IN range(0, length(p) - 1) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..]))
  RETURN p
}
WITH p, length(p) AS hops, reduce(s = 0, r IN relationships(p) | s + r.weight) AS total_weight,
  [n IN nodes(p) | n.id] AS ids
ORDER BY hops, total_weight DESC, ids
LIMIT $k
RETURN [n IN nodes(p) | {id: n.id, name: n.name}] AS artists, [r IN relationships(p) | r.weight] AS weights,
  hops, total_weight
