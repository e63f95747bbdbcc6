// rec_genre_tracks: the $n tracks of a scene genre most played recently, by (plays_recent desc, plays desc, id asc)
// params: $genre STRING, $n INTEGER
MATCH (t:Track)
WHERE $genre IN t.scene_genres
WITH t
ORDER BY t.plays_recent DESC, t.plays DESC, t.id ASC
LIMIT $n
RETURN collect(t.id) AS tracks
