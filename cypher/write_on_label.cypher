// write_on_label: set the ON_LABEL of changed tracks from gold.track.label_id (null: no label)
// params: $rows LIST<MAP> ([{track_id, label_id: INTEGER | null}])
UNWIND $rows AS row
WITH row.track_id AS track_id, row.label_id AS label_id
MATCH (t:Track {id: track_id})
CALL (t, label_id) {
  MATCH (t)-[old:ON_LABEL]->(l:Label)
  WHERE label_id IS NULL OR l.id <> label_id
  DELETE old
}
WITH t, label_id
WHERE label_id IS NOT NULL
MATCH (l:Label {id: label_id})
MERGE (t)-[:ON_LABEL]->(l)
