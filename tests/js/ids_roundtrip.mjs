// Ids as a browser sees them: every id read with fetch + JSON.parse from the search, network, recommendation
// and set routes is used as is in the next request, and must name the same thing. Prints a JSON summary;
// exits 1 on the first id that does not survive. Usage: node ids_roundtrip.mjs http://127.0.0.1:PORT artist-query track-query
const [base, artistQuery, trackQuery] = process.argv.slice(2);
const used = { artists: 0, tracks: 0, sets: 0, checked_bodies: 0 };
const ID_NUMBER = /"(id|[a-z_]+_id)":\s*-?\d/;

async function get(path, init) {
  const res = await fetch(base + path, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method || "GET"} ${path} -> ${res.status} ${text.slice(0, 200)}`);
  if (ID_NUMBER.test(text)) throw new Error(`${path}: an id is a JSON number: ${text.match(ID_NUMBER)[0]}`);
  used.checked_bodies += 1;
  return JSON.parse(text);
}
function same(a, b, what) { if (a !== b) throw new Error(`${what}: asked for ${a}, got ${b}`); }

const artists = (await get(`/v1/artists?q=${encodeURIComponent(artistQuery)}&limit=5`)).results;
if (!artists.length) throw new Error("artist search found nothing");
for (const a of artists) {
  if (typeof a.id !== "string") throw new Error(`artist id ${a.id} is a ${typeof a.id}`);
  same(a.id, (await get(`/v1/artists/${a.id}`)).id, "artist from search"); used.artists += 1;
}
// the network: node keys are Label:id strings, properties carry the id as a string
const net = await get(`/v1/artists/${artists[0].id}/collaborations?depth=2&limit=40`);
for (const n of net.nodes.slice(0, 15)) {
  const id = n.id.split(":")[1];
  same(id, n.properties.id, "node key and property");
  same(id, (await get(`/v1/artists/${id}`)).id, "artist from network"); used.artists += 1;
}
const g = await get(`/v1/artists/${artists[0].id}/collaborations?depth=1&limit=20&format=graphology`);
for (const n of g.nodes.slice(0, 5)) { same(n.key.split(":")[1], (await get(`/v1/artists/${n.key.split(":")[1]}`)).id, "graphology node"); used.artists += 1; }
const path = await get(`/v1/artists/${artists[0].id}/collaborations/path/${net.nodes[net.nodes.length - 1].properties.id}?k=1`);
for (const step of path.paths[0]?.steps || []) { same(step.artist.id, (await get(`/v1/artists/${step.artist.id}`)).id, "path step"); used.artists += 1; }

const tracks = (await get(`/v1/tracks?q=${encodeURIComponent(trackQuery)}&limit=5`)).results;
if (!tracks.length) throw new Error("track search found nothing");
const src = tracks[0];
same(src.id, (await get(`/v1/tracks/${src.id}`)).id, "track from search"); used.tracks += 1;
const recs = await get(`/v1/tracks/${src.id}/recommendations?limit=10`);
same(src.id, recs.source.id, "recommendation source");
for (const r of recs.recommendations) { same(r.track.id, (await get(`/v1/tracks/${r.track.id}`)).id, "recommended track"); used.tracks += 1; }
// a recommendation becomes the next source, then starts a set
const next = recs.recommendations[0].track.id;
const again = await get(`/v1/tracks/${next}/recommendations?limit=5`);
same(next, again.source.id, "recommendation as the next source");
const built = await get("/v1/sets", { method: "POST", headers: { "content-type": "application/json" },
  body: JSON.stringify({ start_track_id: next, length: 6, alternatives: 1 }) });
if (!built.sets.length) throw new Error(`no set: ${built.diagnosis}`);
for (const t of built.sets[0].tracks) { same(t.id, (await get(`/v1/tracks/${t.id}`)).id, "set track"); used.tracks += 1; }
for (const tr of built.sets[0].transitions) { await get(`/v1/tracks/${tr.from}/harmonic-path/${tr.to}?k=1&max_len=3`); }
used.sets += 1;
const hood = await get(`/v1/tracks/${next}/neighbourhood?limit=30`);
for (const n of hood.nodes.filter((n) => n.kind === "Set").slice(0, 3)) {
  same(n.id.split(":")[1], (await get(`/v1/sets/${n.id.split(":")[1]}/analytics`)).id, "set from neighbourhood"); used.sets += 1;
}
console.log(JSON.stringify(used));
