// charts_tracks: the most played tracks (all sets, or the recent window) and the trending ones, optionally of one genre (scene genres or genre tags, case-insensitive)
// params: $genre STRING (null: every genre), $recent BOOLEAN, $min_recent INTEGER, $limit INTEGER
CALL () {
  MATCH (t:Track)
  WHERE $genre IS NULL
    OR any(g IN coalesce(t.scene_genres, []) + coalesce(t.genres, []) WHERE toLower(g) = toLower($genre))
  WITH t,
    CASE WHEN $recent THEN t.plays_recent ELSE t.plays END AS plays,
    CASE WHEN $recent THEN t.djs_recent ELSE t.djs END AS djs
  WHERE plays > 0
  WITH t, plays, djs
  ORDER BY plays DESC, djs DESC, t.id ASC
  LIMIT $limit
  RETURN collect(t.id) AS top
}
CALL () {
  MATCH (t:Track)
  WHERE ($genre IS NULL
    OR any(g IN coalesce(t.scene_genres, []) + coalesce(t.genres, []) WHERE toLower(g) = toLower($genre)))
    AND t.plays_recent >= $min_recent
  WITH t
  ORDER BY t.trend DESC, t.plays_recent DESC, t.id ASC
  LIMIT $limit
  RETURN collect(t.id) AS trending
}
RETURN top, trending
