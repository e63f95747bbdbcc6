// rec_two_hop: sum over x of n(a->x) * n(x->c), over a's top $via successors x and each x's top $per_via successors (count desc, id asc), c <> a
// params: $id INTEGER, $via INTEGER, $per_via INTEGER
MATCH (a:Track {id: $id})-[r1:TRANSITIONS_TO]->(x:Track)
WITH a, x, r1
ORDER BY r1.count DESC, x.id ASC
LIMIT $via
CALL (a, x, r1) {
  MATCH (x)-[r2:TRANSITIONS_TO]->(c:Track)
  WITH a, r1, c, r2
  ORDER BY r2.count DESC, c.id ASC
  LIMIT $per_via
  WITH a, r1, c, r2
  WHERE c <> a
  RETURN c.id AS cid, r1.count * r2.count AS w
}
WITH cid, sum(w) AS weight
RETURN collect([cid, weight]) AS two_hop
