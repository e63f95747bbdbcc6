// harmonic_path: track sequences a -> b where every hop is key-compatible and within the BPM window
// params: $a INTEGER, $b INTEGER, $k INTEGER (1-10), $max_len INTEGER (2-12 tracks), $moves LIST<STRING>, $bpm_window_pct FLOAT, $half_double BOOLEAN
// Each QPP iteration is one hop x -> y through their keys; bounds are literals ({1,11} = 12 tracks),
// $max_len is a pre-filter, the group count is gated by $k. Hop scores and the final order (hops, score
// sum desc, ids) are computed in Python (graphsvc.harmonic), so paths come back as track id lists.
MATCH (a:Track {id: $a})
MATCH (b:Track {id: $b})
CALL (a, b) {
  WITH a, b WHERE $k <= 3
  MATCH p = SHORTEST 3 GROUPS (a)
    ((x:Track)-[:IN_KEY]->(:Key)-[c:COMPATIBLE]->(:Key)<-[:IN_KEY]-(y:Track)
      WHERE x <> y AND c.move IN $moves AND x.bpm > 0 AND y.bpm > 0
        AND (CASE WHEN $half_double
          THEN reduce(m = abs(y.bpm - x.bpm), d IN [abs(2.0 * y.bpm - x.bpm), abs(y.bpm / 2.0 - x.bpm)] |
            CASE WHEN d < m THEN d ELSE m END)
          ELSE abs(y.bpm - x.bpm) END) / x.bpm * 100.0 <= $bpm_window_pct){1,11}
    (b)
  WHERE size(x) + 1 <= $max_len AND all(i IN range(0, size(x) - 1) WHERE NOT x[i] IN x[i + 1..] AND x[i] <> b)
  RETURN [t IN x | t.id] + [b.id] AS ids
  UNION
  WITH a, b WHERE $k > 3
  MATCH p = SHORTEST 10 GROUPS (a)
    ((x:Track)-[:IN_KEY]->(:Key)-[c:COMPATIBLE]->(:Key)<-[:IN_KEY]-(y:Track)
      WHERE x <> y AND c.move IN $moves AND x.bpm > 0 AND y.bpm > 0
        AND (CASE WHEN $half_double
          THEN reduce(m = abs(y.bpm - x.bpm), d IN [abs(2.0 * y.bpm - x.bpm), abs(y.bpm / 2.0 - x.bpm)] |
            CASE WHEN d < m THEN d ELSE m END)
          ELSE abs(y.bpm - x.bpm) END) / x.bpm * 100.0 <= $bpm_window_pct){1,11}
    (b)
  WHERE size(x) + 1 <= $max_len AND all(i IN range(0, size(x) - 1) WHERE NOT x[i] IN x[i + 1..] AND x[i] <> b)
  RETURN [t IN x | t.id] + [b.id] AS ids
}
RETURN ids
