// rec_transitions: TRANSITIONS_TO out of and into a track, the top $n each way by (count desc, id asc)
// params: $id INTEGER, $n INTEGER
MATCH (a:Track {id: $id})
CALL (a) {
  MATCH (a)-[r:TRANSITIONS_TO]->(c:Track)
  WITH c, r
  ORDER BY r.count DESC, c.id ASC
  LIMIT $n
  RETURN collect([c.id, r.count, r.djs, r.last_seen]) AS out
}
CALL (a) {
  MATCH (c:Track)-[r:TRANSITIONS_TO]->(a)
  WITH c, r
  ORDER BY r.count DESC, c.id ASC
  LIMIT $n
  RETURN collect([c.id, r.count, r.djs, r.last_seen]) AS inn
}
RETURN out, inn
