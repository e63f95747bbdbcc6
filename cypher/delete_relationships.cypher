// delete_relationships: delete relationships of one type by key (a gold.tombstone of a relationship kind, or a relationship a full projection finds in the graph but not in gold)
// params: $type STRING, $rows LIST<MAP> ([{start, end, role?, position?}]: a CONTAINS row without end deletes whatever track is at the position)
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
  MATCH (:Set {id: row.start})-[r:CONTAINS]->(t:Track)
  WHERE $type = 'CONTAINS' AND r.position = row.position AND (row.end IS NULL OR t.id = row.end)
  RETURN r
  UNION
  MATCH (:Artist {id: row.start})-[r:PLAYED]->(:Set {id: row.end})
  WHERE $type = 'PLAYED'
  RETURN r
  UNION
  MATCH (:Artist {id: row.start})-[r:SUPPORTS]->(:Artist {id: row.end})
  WHERE $type = 'SUPPORTS'
  RETURN r
  UNION
  MATCH (:Track {id: row.start})-[r:IN_KEY]->(:Key {camelot: row.end})
  WHERE $type = 'IN_KEY'
  RETURN r
  UNION
  MATCH (:Key {camelot: row.start})-[r:COMPATIBLE]->(:Key {camelot: row.end})
  WHERE $type = 'COMPATIBLE'
  RETURN r
  UNION
  MATCH (:Track {id: row.start})-[r:ON_LABEL]->(:Label {id: row.end})
  WHERE $type = 'ON_LABEL'
  RETURN r
}
DELETE r
