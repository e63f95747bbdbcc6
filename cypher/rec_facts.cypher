// rec_facts: the recommender's facts of tracks (graphsvc.recommend.context.FACT_KEYS): properties, label, artists
// params: $ids LIST<INTEGER>
UNWIND $ids AS id
MATCH (t:Track {id: id})
OPTIONAL MATCH (t)-[:ON_LABEL]->(l:Label)
CALL (t) {
  OPTIONAL MATCH (t)-[b:BY]->(a:Artist)
  RETURN collect(DISTINCT a.id) AS artist_ids,
    collect(DISTINCT CASE WHEN b.role = 'primary' THEN a.id END) AS primary_ids
}
RETURN t.id AS id, properties(t) AS props, l.id AS label_id, artist_ids, primary_ids
