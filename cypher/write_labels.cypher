// write_labels: upsert :Label nodes from gold.label rows, one batch per call
// params: $rows LIST<MAP> ([{id, props: MAP}], props = the other gold columns; null removes a property)
UNWIND $rows AS row
MERGE (n:Label {id: row.id})
SET n += row.props
