// rec_dj_lists: per DJ its top $n_support SUPPORTS [artist id, count] and its $n_repertoire most played tracks [track id, set entries], both by (count desc, id asc)
// params: $djs LIST<INTEGER>, $n_support INTEGER, $n_repertoire INTEGER
UNWIND $djs AS dj_id
MATCH (d:Artist {id: dj_id})
CALL (d) {
  MATCH (d)-[s:SUPPORTS]->(y:Artist)
  WITH y, s
  ORDER BY s.count DESC, y.id ASC
  LIMIT $n_support
  RETURN collect([y.id, s.count]) AS supported
}
CALL (d) {
  MATCH (d)-[:PLAYED]->(:Set)-[:CONTAINS]->(t:Track)
  WITH t, count(*) AS n
  ORDER BY n DESC, t.id ASC
  LIMIT $n_repertoire
  RETURN collect([t.id, n]) AS repertoire
}
RETURN d.id AS dj, supported, repertoire
