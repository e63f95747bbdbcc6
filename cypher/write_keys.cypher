// write_keys: upsert :Key nodes from gold.key rows, one batch per call
// params: $rows LIST<MAP> ([{camelot, props: MAP}], props = the other gold columns; null removes a property)
UNWIND $rows AS row
MERGE (n:Key {camelot: row.camelot})
SET n += row.props
