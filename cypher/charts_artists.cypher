// charts_artists: the most played artists (as primary artists, all sets or the recent window) and the trending ones, plus the latest set date
// params: $recent BOOLEAN, $min_recent INTEGER, $limit INTEGER
CALL () {
  MATCH (a:Artist)
  WITH a,
    CASE WHEN $recent THEN a.plays_recent ELSE a.plays END AS plays
  WHERE plays > 0
  WITH a, plays
  ORDER BY plays DESC, a.djs DESC, a.id ASC
  LIMIT $limit
  RETURN collect(a.id) AS top
}
CALL () {
  MATCH (a:Artist)
  WHERE a.plays_recent >= $min_recent
  WITH a
  ORDER BY a.trend DESC, a.plays_recent DESC, a.id ASC
  LIMIT $limit
  RETURN collect(a.id) AS trending
}
CALL () {
  MATCH (s:Set)
  RETURN max(s.date) AS as_of
}
RETURN top, trending, as_of
