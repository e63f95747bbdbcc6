// rec_sets: a track's $n most recent sets (date desc, undated last, id desc) with their entries and DJs
// params: $id INTEGER, $n INTEGER
MATCH (s:Set)-[:CONTAINS]->(:Track {id: $id})
WITH DISTINCT s
ORDER BY s.date IS NULL ASC, s.date DESC, s.id DESC
LIMIT $n
CALL (s) {
  MATCH (s)-[c:CONTAINS]->(t:Track)
  WITH c, t
  ORDER BY c.position ASC
  RETURN collect([c.position, t.id]) AS entries
}
CALL (s) {
  OPTIONAL MATCH (d:Artist)-[:PLAYED]->(s)
  WITH d
  ORDER BY d.id ASC
  RETURN collect(d.id) AS djs
}
RETURN s.id AS set_id, entries, djs
ORDER BY s.date IS NULL ASC, s.date DESC, s.id DESC
