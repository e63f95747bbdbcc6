// search_tracks: tracks whose search_key contains $q, ranked exact > prefix > contains, plays desc, id asc
// params: $q STRING (graphsvc.names.title_key of the search text, never empty), $limit INTEGER (1-500)
// The embedded store's rule exactly: search_key = title_key("artists title") and title_key = title_key(title)
// are written by the projection (graphsvc.names.track_search_keys); CONTAINS on search_key is served by the
// text index track_search_key.
MATCH (t:Track)
WHERE t.search_key CONTAINS $q
WITH t, CASE WHEN t.search_key = $q OR t.title_key = $q THEN 0
             WHEN t.title_key STARTS WITH $q OR t.search_key STARTS WITH $q THEN 1
             ELSE 2 END AS rank
ORDER BY rank, coalesce(t.plays, 0) DESC, t.id
LIMIT $limit
RETURN properties(t) AS track, rank
