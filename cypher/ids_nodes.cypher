// ids_nodes: every key of one node label, for reconcile against gold
// params: $label STRING (Track|Artist|Key|Set|Label)
MATCH (n:Track) WHERE $label = 'Track' RETURN n.id AS id
UNION ALL
MATCH (n:Artist) WHERE $label = 'Artist' RETURN n.id AS id
UNION ALL
MATCH (n:Key) WHERE $label = 'Key' RETURN n.camelot AS id
UNION ALL
MATCH (n:Set) WHERE $label = 'Set' RETURN n.id AS id
UNION ALL
MATCH (n:Label) WHERE $label = 'Label' RETURN n.id AS id
