// rec_tempo_keys: the Camelot key and BPM of each existing track of $ids (what a key filter reads first)
// params: $ids LIST<INTEGER>
UNWIND $ids AS id
MATCH (t:Track {id: id})
RETURN t.id AS id, t.camelot AS camelot, t.bpm AS bpm
