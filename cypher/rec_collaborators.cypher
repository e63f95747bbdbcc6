// rec_collaborators: per artist its top $n collaborators as [artist id, weight], by (weight desc, id asc)
// params: $artists LIST<INTEGER>, $n INTEGER
UNWIND $artists AS aid
MATCH (x:Artist {id: aid})
CALL (x) {
  MATCH (x)-[w:COLLABORATED_WITH]-(y:Artist)
  WITH y, w
  ORDER BY w.weight DESC, y.id ASC
  LIMIT $n
  RETURN collect([y.id, w.weight]) AS collaborators
}
RETURN x.id AS artist, collaborators
