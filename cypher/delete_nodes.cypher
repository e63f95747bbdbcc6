// delete_nodes: detach-delete nodes of one label by key (gold.tombstone of a node kind)
// params: $label STRING (Track|Artist|Set|Label), $ids LIST<INTEGER>
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
}
DETACH DELETE n
