// next_track_candidates: raw next-track candidates of a source track (graph_spec rule 3), at most $cap
// params: $track_id INTEGER, $moves LIST<STRING> (harmonic.STRICTNESS[strictness]), $clash_score FLOAT, $bpm_window_pct FLOAT, $half_double BOOLEAN, $max_pitch_shift INTEGER (0-2), $cap INTEGER
// A candidate comes from a real transition, a compatible key (IN_KEY/COMPATIBLE) or, with pitch shift,
// the tempo range a shift of <= $max_pitch_shift semitones reaches; then every constraint on known data
// is checked. Pitch shift: semis = round(12*log2(s.bpm/t.bpm)); |semis| <= max -> key shifted, BPM 0 %.
// Order: transitions desc, move score desc, bpm_pct asc (nulls last), id asc.
MATCH (s:Track {id: $track_id})
OPTIONAL MATCH (s)-[:IN_KEY]->(sk:Key)
CALL (s, sk) {
  MATCH (s)-[:TRANSITIONS_TO]->(t:Track)
  RETURN t
  UNION
  MATCH (sk)-[c:COMPATIBLE]->(:Key)<-[:IN_KEY]-(t:Track)
  WHERE c.move IN $moves AND s.bpm IS NOT NULL AND t.bpm IS NOT NULL
  RETURN t
  UNION
  WITH s, sk WHERE $max_pitch_shift > 0 AND s.bpm IS NOT NULL AND sk IS NOT NULL
  MATCH (t:Track)
  WHERE t.bpm >= s.bpm * 2.0 ^ (-($max_pitch_shift + 0.5) / 12.0)
    AND t.bpm <= s.bpm * 2.0 ^ (($max_pitch_shift + 0.5) / 12.0)
    AND t.camelot IS NOT NULL
  RETURN t
}
WITH s, sk, t
WHERE t <> s
OPTIONAL MATCH (s)-[tr:TRANSITIONS_TO]->(t)
OPTIONAL MATCH (t)-[:IN_KEY]->(tk:Key)
WITH s, sk, t, tk, coalesce(tr.count, 0) AS transitions,
  CASE
    WHEN $max_pitch_shift > 0 AND s.bpm > 0 AND t.bpm > 0
    THEN toInteger(round(12.0 * log(s.bpm / t.bpm) / log(2.0)))
  END AS semis
WITH s, sk, t, tk, transitions, semis IS NOT NULL AND abs(semis) <= $max_pitch_shift AS pitched,
  CASE WHEN semis IS NOT NULL AND abs(semis) <= $max_pitch_shift THEN semis ELSE 0 END AS pitch_shift
OPTIONAL MATCH (ek:Key {pitch_class: (tk.pitch_class + pitch_shift + 12) % 12, mode: tk.mode})
OPTIONAL MATCH (sk)-[c:COMPATIBLE]->(ek)
WITH t, transitions, pitch_shift, pitched,
  CASE WHEN sk IS NULL OR tk IS NULL THEN null WHEN c IS NULL THEN 'clash' ELSE c.move END AS move,
  CASE WHEN sk IS NULL OR tk IS NULL THEN null WHEN c IS NULL THEN $clash_score ELSE c.score END AS move_score,
  CASE
    WHEN s.bpm IS NULL OR t.bpm IS NULL THEN null
    WHEN pitched THEN 0.0
    WHEN $half_double
    THEN reduce(m = abs(t.bpm - s.bpm), d IN [abs(2.0 * t.bpm - s.bpm), abs(t.bpm / 2.0 - s.bpm)] |
      CASE WHEN d < m THEN d ELSE m END) / s.bpm * 100.0
    ELSE abs(t.bpm - s.bpm) / s.bpm * 100.0
  END AS bpm_pct
WHERE (move IS NULL OR move IN $moves)
  AND (bpm_pct IS NULL OR bpm_pct <= $bpm_window_pct)
  AND (transitions > 0 OR (move IS NOT NULL AND bpm_pct IS NOT NULL))
RETURN t.id AS id, t.title AS title, t.artists AS artists, t.bpm AS bpm, t.camelot AS camelot, t.energy AS energy,
  t.genres AS genres, move, move_score, bpm_pct, pitch_shift, pitched, transitions
ORDER BY transitions DESC, coalesce(move_score, -1.0) DESC, bpm_pct, id
LIMIT $cap
