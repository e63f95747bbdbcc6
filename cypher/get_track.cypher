// get_track: one track's properties (absent = null: Python fills every model property, as the embedded store)
// params: $track_id INTEGER
MATCH (t:Track {id: $track_id})
RETURN properties(t) AS track
