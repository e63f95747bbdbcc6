// get_artist: one artist's properties
// params: $artist_id INTEGER
MATCH (a:Artist {id: $artist_id})
RETURN properties(a) AS artist
