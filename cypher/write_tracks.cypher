// write_tracks: upsert :Track nodes from gold.track rows, one batch per call
// params: $rows LIST<MAP> ([{id, props: MAP}], props = the other gold columns; null removes a property)
UNWIND $rows AS row
MERGE (n:Track {id: row.id})
SET n += row.props
