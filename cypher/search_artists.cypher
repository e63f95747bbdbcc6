// search_artists: artists whose name_key contains $q, ranked exact > prefix > contains, tracks desc, id asc
// params: $q STRING (graphsvc.names.name_key of the search text, never empty), $limit INTEGER (1-500)
// The same rule as the embedded store (substring of the stored name_key); CONTAINS on name_key is
// served by the text index artist_name_key_text.
MATCH (a:Artist)
WHERE a.name_key CONTAINS $q
WITH a, CASE WHEN a.name_key = $q THEN 0 WHEN a.name_key STARTS WITH $q THEN 1 ELSE 2 END AS rank
ORDER BY rank, coalesce(a.tracks, 0) DESC, a.id
LIMIT $limit
RETURN properties(a) AS artist, rank
