// set_analytics: a set's entries in position order (curves and harmonic flow: Python, graphsvc.harmonic)
// params: $set_id INTEGER
// Positions are returned so the flow only pairs adjacent positions (a gap breaks a pair), as embedded.
MATCH (s:Set {id: $set_id})
RETURN s.id AS id, s.title AS title,
  COLLECT {
    MATCH (s)-[c:CONTAINS]->(t:Track)
    WITH c, t ORDER BY c.position, t.id
    RETURN {position: c.position, id: t.id, camelot: t.camelot, bpm: t.bpm, energy: t.energy, genres: t.genres}
  } AS entries
