// search_artists: fulltext search on name / name_key, ranked exact > prefix > contains, tracks desc, id asc
// params: $lucene STRING (escaped Lucene query built from $q), $q STRING (lower-cased needle), $limit INTEGER (1-500)
CALL db.index.fulltext.queryNodes('artist_search', $lucene, {limit: 5000}) YIELD node
WITH node AS a
WITH a, toLower(coalesce(a.name, '')) AS name, coalesce(a.name_key, '') AS name_key
WHERE name CONTAINS $q OR name_key CONTAINS $q
WITH a, CASE WHEN name = $q OR name_key = $q THEN 0 WHEN name STARTS WITH $q OR name_key STARTS WITH $q THEN 1 ELSE 2 END AS rank
ORDER BY rank, coalesce(a.tracks, 0) DESC, a.id
LIMIT $limit
RETURN a.id AS id, a.name AS name, a.tracks AS tracks, a.sets AS sets, rank
