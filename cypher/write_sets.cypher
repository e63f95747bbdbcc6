// write_sets: upsert :Set nodes from gold.set rows, one batch per call
// params: $rows LIST<MAP> ([{id, props: MAP}], props = the other gold columns; null removes a property)
UNWIND $rows AS row
MERGE (n:Set {id: row.id})
SET n += row.props
