// delete_relationships: delete relationships of one type by key (gold.tombstone of a relationship kind)
// params: $type STRING, $rows LIST<MAP> ([{start, end, role?, position?}]: end is unused for CONTAINS)
// Cypher 5 cannot take a relationship type as a parameter; only the branch of $type can match.
UNWIND $rows AS row
CALL (row) {
  MATCH (:Track {id: row.start})-[r:BY]->(:Artist {id: row.end})
  WHERE $type = 'BY' AND r.role = row.role
  RETURN r
  UNION
  MATCH (:Artist {id: row.start})-[r:COLLABORATED_WITH]->(:Artist {id: row.end})
  WHERE $type = 'COLLABORATED_WITH'
  RETURN r
  UNION
  MATCH (:Track {id: row.start})-[r:TRANSITIONS_TO]->(:Track {id: row.end})
  WHERE $type = 'TRANSITIONS_TO'
  RETURN r
  UNION
  MATCH (:Set {id: row.start})-[r:CONTAINS]->(:Track)
  WHERE $type = 'CONTAINS' AND r.position = row.position
  RETURN r
  UNION
  MATCH (:Artist {id: row.start})-[r:PLAYED]->(:Set {id: row.end})
  WHERE $type = 'PLAYED'
  RETURN r
  UNION
  MATCH (:Artist {id: row.start})-[r:SUPPORTS]->(:Artist {id: row.end})
  WHERE $type = 'SUPPORTS'
  RETURN r
}
DELETE r
