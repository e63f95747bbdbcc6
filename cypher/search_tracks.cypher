// search_tracks: candidate tracks for a search, from the fulltext index on title + artists
// params: $lucene STRING (every term of graphsvc.names.title_key(q) as a required prefix), $cap INTEGER (candidates, 1-5000)
// Python keeps the candidates whose title_key("artists title") contains title_key(q) and ranks them
// exact > prefix > contains, plays desc, id asc, exactly as the embedded store does.
CALL db.index.fulltext.queryNodes('track_search', $lucene, {limit: $cap}) YIELD node
RETURN properties(node) AS track
