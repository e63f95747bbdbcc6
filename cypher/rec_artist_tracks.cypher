// rec_artist_tracks: per artist its $n most played tracks (any role, or primary only), by (plays desc, id asc)
// params: $artists LIST<INTEGER>, $n INTEGER, $primary_only BOOLEAN
UNWIND $artists AS aid
MATCH (x:Artist {id: aid})
CALL (x) {
  MATCH (t:Track)-[b:BY]->(x)
  WHERE NOT $primary_only OR b.role = 'primary'
  WITH DISTINCT t
  ORDER BY t.plays DESC, t.id ASC
  LIMIT $n
  RETURN collect(t.id) AS tracks
}
RETURN x.id AS artist, tracks
