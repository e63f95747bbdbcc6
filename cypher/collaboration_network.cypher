// collaboration_network: ego network of an artist over COLLABORATED_WITH (undirected, weight >= $min_weight)
// params: $artist_id INTEGER, $depth INTEGER (1-3), $min_weight INTEGER, $limit INTEGER (1-500)
// Quantifier bounds cannot be parameters in Cypher 5: one branch per depth, gated by $depth before
// the search, so a depth-1 request never expands 3 hops. hops = length of a shortest path (the
// weight filter is inlined in the pattern: a pre-filter, applied before SHORTEST selects).
MATCH (ego:Artist {id: $artist_id})
CALL (ego) {
  RETURN ego AS n, 0 AS hops
  UNION
  WITH ego WHERE $depth = 1
  MATCH p = SHORTEST 1 (ego)-[w:COLLABORATED_WITH WHERE w.weight >= $min_weight]-{1,1}(n:Artist)
  WHERE n <> ego
  RETURN n, length(p) AS hops
  UNION
  WITH ego WHERE $depth = 2
  MATCH p = SHORTEST 1 (ego)-[w:COLLABORATED_WITH WHERE w.weight >= $min_weight]-{1,2}(n:Artist)
  WHERE n <> ego
  RETURN n, length(p) AS hops
  UNION
  WITH ego WHERE $depth = 3
  MATCH p = SHORTEST 1 (ego)-[w:COLLABORATED_WITH WHERE w.weight >= $min_weight]-{1,3}(n:Artist)
  WHERE n <> ego
  RETURN n, length(p) AS hops
}
WITH ego, n, hops
ORDER BY hops, coalesce(n.tracks, 0) DESC, n.id
// grouped by ego: an unknown artist gives no row at all (a bare collect() would give one empty row)
WITH ego, collect({node: n, hops: hops}) AS ranked
WITH ranked[0..$limit] AS kept, size(ranked) > $limit AS truncated
WITH kept, truncated, [k IN kept | k.node] AS members
CALL (members) {
  UNWIND members AS a
  MATCH (a)-[r:COLLABORATED_WITH]->(b:Artist)
  WHERE r.weight >= $min_weight AND b IN members
  WITH a, b, r ORDER BY a.id, b.id
  RETURN collect({source: a.id, target: b.id, weight: r.weight, first_year: r.first_year, last_year: r.last_year}) AS edges
}
RETURN [k IN kept | {id: k.node.id, name: k.node.name, tracks: k.node.tracks, hops: k.hops}] AS nodes, edges, truncated
