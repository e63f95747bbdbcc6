// search_tracks: fulltext search on title + artists, ranked exact > prefix > contains, plays desc, id asc
// params: $lucene STRING (escaped Lucene query built from $q), $q STRING (lower-cased needle), $limit INTEGER (1-500)
CALL db.index.fulltext.queryNodes('track_search', $lucene, {limit: 5000}) YIELD node
WITH node AS t
WITH t, toLower(coalesce(t.title, '')) AS title, toLower(coalesce(t.artists, '') + ' - ' + coalesce(t.title, '')) AS full
WHERE title CONTAINS $q OR full CONTAINS $q
WITH t, CASE WHEN title = $q OR full = $q THEN 0 WHEN title STARTS WITH $q OR full STARTS WITH $q THEN 1 ELSE 2 END AS rank
ORDER BY rank, coalesce(t.plays, 0) DESC, t.id
LIMIT $limit
RETURN t.id AS id, t.title AS title, t.artists AS artists, t.bpm AS bpm, t.camelot AS camelot, t.plays AS plays, rank
