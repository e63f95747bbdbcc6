// write_artists: upsert :Artist nodes from gold.artist rows, one batch per call
// params: $rows LIST<MAP> ([{id, props: MAP}], props = the other gold columns; null removes a property)
UNWIND $rows AS row
MERGE (n:Artist {id: row.id})
SET n += row.props
