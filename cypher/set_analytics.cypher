// set_analytics: a set's entries in position order (curves and harmonic flow: Python, graphsvc.harmonic)
// params: $set_id INTEGER
MATCH (s:Set {id: $set_id})
RETURN properties(s) AS set,
  COLLECT {
    MATCH (s)-[c:CONTAINS]->(t:Track)
    WITH c, t ORDER BY c.position
    RETURN {position: c.position, id: t.id, title: t.title, artists: t.artists, camelot: t.camelot, bpm: t.bpm,
      energy: t.energy, genres: t.genres}
  } AS entries
