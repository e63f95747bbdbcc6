// get_track: one track's properties with its credited artists (BY position order)
// params: $track_id INTEGER
MATCH (t:Track {id: $track_id})
RETURN properties(t) AS track,
  COLLECT {
    MATCH (t)-[b:BY]->(a:Artist)
    WITH a, b ORDER BY b.position, a.id, b.role
    RETURN {id: a.id, name: a.name, role: b.role}
  } AS credits
