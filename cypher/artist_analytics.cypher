// artist_analytics: an artist's tracks, sets played, average BPM, top key, top genres, collaborators, supporters
// params: $artist_id INTEGER, $top INTEGER (collaborators/supporters, 1-500), $top_genres INTEGER (genres, 1-500)
// Same answer as the embedded store: tracks and sets_played are the gold counts on the node, a genre
// counts once per track (DISTINCT t, genre), key ties go to wheel order (number, letter), other ties to id.
MATCH (a:Artist {id: $artist_id})
CALL (a) {
  OPTIONAL MATCH (a)<-[:BY]-(t:Track)
  WITH DISTINCT t
  RETURN avg(t.bpm) AS avg_bpm, collect(t) AS track_nodes
}
CALL (track_nodes) {
  UNWIND track_nodes AS t
  MATCH (t)-[:IN_KEY]->(k:Key)
  WITH k, count(*) AS n
  ORDER BY n DESC, k.number, k.letter
  RETURN collect(k.camelot)[0] AS top_key
}
CALL (track_nodes) {
  UNWIND track_nodes AS t
  UNWIND coalesce(t.genres, []) AS genre
  WITH DISTINCT t, genre
  WITH genre, count(*) AS n
  ORDER BY n DESC, genre
  RETURN collect({genre: genre, tracks: n})[0..$top_genres] AS top_genres
}
RETURN a.id AS id, a.name AS name, a.tracks AS tracks, a.sets AS sets_played, avg_bpm, top_key,
  top_genres,
  COLLECT {
    MATCH (a)-[r:COLLABORATED_WITH]-(o:Artist)
    WITH o, r ORDER BY r.weight DESC, o.id
    RETURN {id: o.id, name: o.name, weight: r.weight}
  }[0..$top] AS collaborators,
  COLLECT {
    MATCH (a)<-[s:SUPPORTS]-(d:Artist)
    WITH d, s ORDER BY s.count DESC, d.id
    RETURN {id: d.id, name: d.name, count: s.count}
  }[0..$top] AS supported_by
