// rec_label_tracks: a label's $n most played tracks, by (plays desc, id asc)
// params: $label_id INTEGER, $n INTEGER
MATCH (:Label {id: $label_id})<-[:ON_LABEL]-(t:Track)
WITH t
ORDER BY t.plays DESC, t.id ASC
LIMIT $n
RETURN collect(t.id) AS tracks
