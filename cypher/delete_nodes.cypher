// delete_nodes: detach-delete nodes of one label by key (a gold.tombstone of a node kind, or a node a full projection finds in the graph but not in gold)
// params: $label STRING (Track|Artist|Set|Label|Key), $ids LIST<INTEGER | STRING> (camelot codes for Key, ids otherwise)
// Cypher 5 cannot take a label as a parameter; each branch is a unique-index seek and only the
// branch whose label equals $label can match.
UNWIND $ids AS id
CALL (id) {
  MATCH (n:Track {id: id}) WHERE $label = 'Track' RETURN n
  UNION
  MATCH (n:Artist {id: id}) WHERE $label = 'Artist' RETURN n
  UNION
  MATCH (n:Set {id: id}) WHERE $label = 'Set' RETURN n
  UNION
  MATCH (n:Label {id: id}) WHERE $label = 'Label' RETURN n
  UNION
  MATCH (n:Key {camelot: id}) WHERE $label = 'Key' RETURN n
}
DETACH DELETE n
