// The graphsvc explorer: search, collaboration networks, paths, a track's neighbourhood and next tracks, the set
// builder and the Camelot wheel, over the API of the server that serves this page.
import "./style.css";
import Graph from "graphology";
import { api } from "./api.js";
import { GraphView, importPayload, PALETTE, KIND_COLOURS } from "./graphview.js";
import { drawSetChart } from "./setchart.js";
import { drawWheel } from "./wheel.js";
import { h, fmtBpm, trackName, debounce, MOVE_WORDS } from "./util.js";

const $ = (sel) => document.querySelector(sel);
const state = { artist: null, track: null, growing: [], form: { start: null, end: null, waypoints: [] }, lastSets: null };

// --- status line, tabs ------------------------------------------------------------------------------------
function status(text, error = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", error);
}
function fail(what) { return (err) => status(`${what}: ${err.message}`, true); }

function showTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${name}`;
  if (name === "wheel" && state.track && state.track.camelot) wheel.choose(state.track.camelot);
}
for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));

// --- the graph --------------------------------------------------------------------------------------------
const view = new GraphView($("#graph"), {
  onNodeClick: (key, attrs) => {
    const [kind, id] = splitKey(key);
    if (view.mode === "artists" && kind === "Artist") expandArtist(id, attrs.label);
    else if (kind === "Track") openTrack(id);
    else if (kind === "Artist") openArtist(id);
    else if (kind === "Key") { showTab("wheel"); wheel.choose(id); }
  },
  onHover: (info) => {
    const box = $("#hover");
    if (!info) { box.hidden = true; return; }
    box.hidden = false;
    if (info.kind === "node") {
      const a = info.attrs;
      const extra = a.kind === "Track" ? [a.camelot, a.bpm && fmtBpm(a.bpm)].filter(Boolean).join(" · ")
        : a.kind === "Artist" ? `${a.tracks ?? "?"} tracks` : a.kind;
      box.replaceChildren(h("b", {}, a.label), h("div", {}, `${extra} · ${info.degree} links here`),
        h("div", { class: "hint" }, view.mode === "artists" && a.kind === "Artist" ? "click to add their collaborators" : "click to open"));
    } else {
      const a = info.attrs;
      const what = a.rel === "COLLABORATED_WITH" ? `${a.weight} shared track${a.weight === 1 ? "" : "s"}${a.first_year ? ` (${a.first_year}–${a.last_year})` : ""}`
        : a.rel === "TRANSITIONS_TO" ? `DJs played it next ${a.count}× (${a.djs} DJs)` : a.rel;
      box.replaceChildren(h("b", {}, `${info.source.label} — ${info.target.label}`), h("div", {}, what));
    }
  },
});
const splitKey = (key) => { const i = key.indexOf(":"); return [key.slice(0, i), key.slice(i + 1)]; };

function setBanner(text) { const b = $("#banner"); b.hidden = !text; b.textContent = text || ""; }
function graphShown() { $("#graph-empty").hidden = true; }

function legend() {
  const el = $("#legend");
  el.hidden = false;
  const g = view.graph;
  if (view.mode === "artists") {
    const groups = new Map();
    g.forEachNode((n, a) => {
      const c = a.louvain ?? a.community;
      const list = groups.get(c) || [];
      list.push(a);
      groups.set(c, list);
    });
    const ranked = [...groups.entries()].sort((x, y) => y[1].length - x[1].length).slice(0, 6);
    el.replaceChildren(h("div", {}, h("b", {}, `${g.order} artists · ${g.size} collaborations · ${groups.size} communities (Louvain)`)),
      ...ranked.map(([c, list], i) => {
        const top = [...list].sort((a, b) => (b.degree ?? 0) - (a.degree ?? 0)).slice(0, 3).map((a) => a.label).join(", ");
        return h("div", {}, h("span.sw", { style: `background:${PALETTE[view.communityRank.indexOf(c) % PALETTE.length]}` }), `${list.length}: ${top}`);
      }),
      h("div", { class: "hint" }, "size: collaborators shown · edge: shared tracks"));
  } else {
    const counts = {};
    g.forEachNode((_, a) => { counts[a.kind] = (counts[a.kind] || 0) + 1; });
    el.replaceChildren(h("div", {}, h("b", {}, `${g.order} nodes · ${g.size} relationships`)),
      ...Object.entries(counts).map(([k, n]) => h("div", {}, h("span.sw", { style: `background:${KIND_COLOURS[k] || "#b0bec5"}` }), `${k}: ${n}`)),
      h("div", { class: "hint" }, "arrows: DJs played it next"));
  }
}

// --- search -----------------------------------------------------------------------------------------------
function searchBox(input, dropdown, { tracks = true, artists = true, onPick }) {
  let items = [];
  let active = -1;
  const close = () => { dropdown.hidden = true; active = -1; };
  const render = (artistHits, trackHits) => {
    items = [];
    const nodes = [];
    if (artistHits.length) {
      nodes.push(h("h4", {}, "Artists"));
      for (const a of artistHits) {
        items.push({ kind: "artist", value: a });
        nodes.push(h("div.item", { role: "option", dataset: { kind: "artist", id: a.id }, onmousedown: (e) => { e.preventDefault(); pick(items.findIndex((i) => i.value === a)); } },
          a.name, h("small", {}, `${a.tracks ?? 0} tracks · ${a.sets ?? 0} sets`)));
      }
    }
    if (trackHits.length) {
      nodes.push(h("h4", {}, "Tracks"));
      for (const t of trackHits) {
        items.push({ kind: "track", value: t });
        nodes.push(h("div.item", { role: "option", dataset: { kind: "track", id: t.id }, onmousedown: (e) => { e.preventDefault(); pick(items.findIndex((i) => i.value === t)); } },
          trackName(t), h("small", {}, [t.camelot, t.bpm && fmtBpm(t.bpm)].filter(Boolean).join(" · "))));
      }
    }
    if (!nodes.length) nodes.push(h("div.item", {}, "Nothing found"));
    dropdown.replaceChildren(...nodes);
    dropdown.hidden = false;
  };
  const pick = (i) => {
    if (i < 0 || i >= items.length) return;
    close();
    input.value = "";
    onPick(items[i].kind, items[i].value);
  };
  const run = debounce(async () => {
    const text = input.value.trim();
    if (text.length < 2) { close(); return; }
    try {
      const [a, t] = await Promise.all([
        artists ? api.searchArtists(text) : { results: [] },
        tracks ? api.searchTracks(text) : { results: [] },
      ]);
      if (input.value.trim() === text) render(a.results, t.results);
    } catch (err) { fail("search")(err); }
  }, 180);
  input.addEventListener("input", run);
  input.addEventListener("blur", () => setTimeout(close, 150));
  input.addEventListener("keydown", (e) => {
    const opts = dropdown.querySelectorAll(".item[data-id]");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = Math.max(0, Math.min(opts.length - 1, active + (e.key === "ArrowDown" ? 1 : -1)));
      opts.forEach((o, i) => o.classList.toggle("active", i === active));
    } else if (e.key === "Enter") { e.preventDefault(); pick(active >= 0 ? active : 0); }
    else if (e.key === "Escape") close();
  });
}

searchBox($("#search"), $("#search-results"), {
  onPick: (kind, value) => (kind === "artist" ? openArtist(value.id) : openTrack(value.id)),
});

// --- artists ------------------------------------------------------------------------------------------------
async function openArtist(id) {
  showTab("artist");
  status("Loading artist…");
  let artist, stats;
  try { [artist, stats] = await Promise.all([api.artist(id), api.artistAnalytics(id)]); } catch (err) { fail("artist")(err); return; }
  state.artist = artist;
  renderArtist(artist, stats);
  await loadNetwork(id);
}

function networkControls() {
  return {
    depth: Number($("#net-depth")?.value || 2),
    minWeight: Number($("#net-weight")?.value || 1),
    limit: Number($("#net-limit")?.value || 150),
  };
}

async function loadNetwork(id) {
  const opts = networkControls();
  status("Loading the collaboration network…");
  let payload;
  try { payload = await api.collaborations(id, opts); } catch (err) { fail("network")(err); return; }
  view.show(importPayload(payload), "artists");
  graphShown();
  legend();
  setBanner([
    payload.attributes.truncated ? `Showing the ${view.graph.order} closest and busiest artists (limit ${opts.limit}); the network goes on: raise the limit or the minimum weight.` : "",
    payload.attributes.edges_truncated ? "Only the strongest 2,000 collaborations are drawn." : "",
  ].filter(Boolean).join(" "));
  status(`Collaboration network of ${state.artist.name}: ${view.graph.order} artists, ${view.graph.size} collaborations. Click an artist to add their collaborators.`);
}

async function expandArtist(id, label) {
  status(`Adding the collaborators of ${label}…`);
  let payload;
  try { payload = await api.collaborations(id, { depth: 1, limit: 60, minWeight: networkControls().minWeight }); } catch (err) { fail("expand")(err); return; }
  const added = view.merge(importPayload(payload), `Artist:${id}`);
  legend();
  status(`${label}: ${added} new collaborator${added === 1 ? "" : "s"} added (${view.graph.order} artists in view).`);
  try {
    const [artist, stats] = await Promise.all([api.artist(id), api.artistAnalytics(id)]);
    state.artist = artist;
    renderArtist(artist, stats);
  } catch (err) { fail("artist")(err); }
}

function renderArtist(a, stats) {
  const view_ = $("#artist-view");
  view_.className = "";
  const pathTarget = h("input", { type: "search", placeholder: "Collaboration path to… (artist name)", "aria-label": "Path to artist" });
  const pathDrop = h("div.dropdown", { hidden: true });
  const pathOut = h("div", { "data-testid": "collab-paths" });
  view_.replaceChildren(
    h("h2", { "data-testid": "artist-name" }, a.name),
    h("div.facts", {}, h("span.chip", {}, `${a.tracks ?? 0} tracks`), h("span.chip", {}, `${stats.sets_played ?? 0} sets played`),
      stats.avg_bpm ? h("span.chip", {}, `avg ${fmtBpm(stats.avg_bpm)}`) : null,
      stats.top_key ? h("span.chip.key", {}, stats.top_key) : null,
      ...(stats.top_genres || []).slice(0, 3).map((g) => h("span.chip", {}, g.genre))),
    h("div.controls", {},
      h("label", {}, "Depth", h("select", { id: "net-depth" }, ...[1, 2, 3].map((d) => h("option", { value: d, selected: d === 2 }, d)))),
      h("label", {}, "Min shared tracks", h("input", { id: "net-weight", type: "number", min: 1, max: 50, value: 1 })),
      h("label", {}, "Most artists", h("input", { id: "net-limit", type: "number", min: 10, max: 500, value: 150 })),
      h("button", { onclick: () => loadNetwork(a.id) }, "Reload network")),
    h("h3", {}, "Collaboration path"),
    h("div.picker", {}, pathTarget, pathDrop),
    pathOut,
    h("h3", {}, "Works most with"),
    h("ul.list", {}, ...(stats.collaborators || []).map((c) => h("li", {},
      h("button.linklike", { onclick: () => openArtist(c.id) }, c.name), h("span.move", {}, ` ${c.weight} shared track${c.weight === 1 ? "" : "s"}`)))),
    (stats.supported_by || []).length ? h("h3", {}, "Played most by") : null,
    h("ul.list", {}, ...(stats.supported_by || []).slice(0, 6).map((c) => h("li", {},
      h("button.linklike", { onclick: () => openArtist(c.id) }, c.name), h("span.move", {}, ` ${c.count} plays`)))),
  );
  searchBox(pathTarget, pathDrop, { tracks: false, onPick: (_, other) => showCollabPath(a, other, pathOut) });
}

async function showCollabPath(a, b, out) {
  status(`Finding how ${a.name} connects to ${b.name}…`);
  let res;
  try { res = await api.collabPath(a.id, b.id, 3); } catch (err) { fail("path")(err); return; }
  if (!res.paths.length) {
    out.replaceChildren(h("div.diagnosis", {}, `No collaboration chain of at most 6 hops links ${a.name} and ${b.name}.`));
    status("No path.");
    return;
  }
  // put the path's artists and links in the graph, then highlight them
  const add = new Graph({ type: "undirected" });
  for (const p of res.paths) {
    p.steps.forEach((s, i) => {
      add.mergeNode(`Artist:${s.artist.id}`, { label: s.artist.name, kind: "Artist", name: s.artist.name });
      if (i > 0) {
        const prev = `Artist:${p.steps[i - 1].artist.id}`, cur = `Artist:${s.artist.id}`;
        if (!add.hasEdge(prev, cur)) add.addEdge(prev, cur, { rel: "COLLABORATED_WITH", type: "line", weight: p.steps[i - 1].weight_to_next,
          size: 0.6 + Math.log2(1 + p.steps[i - 1].weight_to_next) * 1.2 });
      }
    });
  }
  if (view.mode !== "artists") view.show(add, "artists"); else view.merge(add, `Artist:${a.id}`);
  graphShown();
  legend();
  const choose = (p) => {
    const nodes = p.steps.map((s) => `Artist:${s.artist.id}`);
    view.highlight(nodes, nodes.slice(1).map((n, i) => [nodes[i], n]));
  };
  choose(res.paths[0]);
  out.replaceChildren(...res.paths.map((p, i) => h("div.rec", { "data-testid": "collab-path" },
    h("div.meta", {}, h("button", { onclick: () => choose(p) }, `Highlight path ${i + 1}`), h("span.score", {}, `${p.hops} hops · ${p.total_weight} shared tracks`)),
    h("div.why", {}, p.steps.map((s) => s.weight_to_next ? `${s.artist.name} —${s.weight_to_next}→ ` : s.artist.name).join("")))),
  h("button", { onclick: () => view.highlight(null) }, "Clear highlight"));
  status(`${res.paths.length} path${res.paths.length === 1 ? "" : "s"} from ${a.name} to ${b.name}; the first is highlighted.`);
}

// --- tracks ---------------------------------------------------------------------------------------------------
async function openTrack(id, { showGraph = true } = {}) {
  showTab("track");
  status("Loading track…");
  let t;
  try { t = await api.track(id); } catch (err) { fail("track")(err); return; }
  state.track = t;
  renderTrack(t);
  loadRecommendations(t);
  if (showGraph) loadNeighbourhood(t);
}

async function loadNeighbourhood(t) {
  let payload;
  try { payload = await api.trackNeighbourhood(t.id, { depth: 1, limit: 120 }); } catch (err) { fail("neighbourhood")(err); return; }
  if (state.track !== t) return; // another track was opened meanwhile
  view.show(importPayload(payload), "track");
  const me = `Track:${t.id}`;
  if (view.graph.hasNode(me)) view.graph.mergeNodeAttributes(me, { size: view.graph.getNodeAttribute(me, "size") + 6, color: "#ffffff", forceLabel: true, zIndex: 3 });
  graphShown();
  legend();
  setBanner([
    payload.attributes.truncated ? `Showing the ${view.graph.order} nearest nodes; more are connected (the API caps a neighbourhood).` : "",
    payload.attributes.edges_truncated ? "Only the strongest 2,000 relationships are drawn." : "",
  ].filter(Boolean).join(" "));
}

function renderTrack(t) {
  const el = $("#track-view");
  el.className = "";
  const pathTarget = h("input", { type: "search", placeholder: "Harmonic path to… (track title)", "aria-label": "Harmonic path to track",
    "data-testid": "path-target" });
  const pathDrop = h("div.dropdown", { hidden: true });
  const pathOut = h("div", { "data-testid": "harmonic-paths" });
  el.replaceChildren(
    h("h2", { "data-testid": "track-title" }, t.title, t.version ? h("span.move", {}, ` (${t.version})`) : null),
    h("div", {}, t.artists || ""),
    h("div.facts", {}, t.camelot ? h("span.chip.key", {}, t.camelot) : h("span.chip.warn", {}, "key unknown"),
      t.bpm ? h("span.chip", {}, fmtBpm(t.bpm)) : h("span.chip.warn", {}, "BPM unknown"),
      t.energy != null ? h("span.chip", {}, `energy ${t.energy.toFixed(2)}`) : null,
      t.label ? h("span.chip", {}, t.label) : null, t.year ? h("span.chip", {}, t.year) : null,
      h("span.chip", {}, `${t.plays ?? 0} plays in ${t.sets ?? 0} sets`)),
    h("div.meta", {},
      h("button", { onclick: () => { state.form.start = t; renderForm(); showTab("set"); } }, "Start a set here"),
      h("button", { onclick: () => { state.form.end = t; renderForm(); showTab("set"); } }, "End a set here"),
      h("button", { onclick: () => addToGrowing(t) }, "Add to my set")),
    h("h3", {}, "Play next"),
    h("div", { id: "recs", "data-testid": "recommendations" }, h("div.hint", {}, "Loading recommendations…")),
    h("h3", {}, "Harmonic path"),
    h("div.picker", {}, pathTarget, pathDrop),
    pathOut,
    h("h3", {}, "My set, as it grows"),
    h("div", { id: "growing" }),
  );
  searchBox(pathTarget, pathDrop, { artists: false, onPick: (_, other) => showHarmonicPath(t, other, pathOut) });
  renderGrowing();
}

// a hop's tempo change, signed from the recommender's evidence (bpm_pct is a distance: half/double time folded)
function bpmChange(evidence, pct) {
  const c = evidence?.bpm?.change_pct;
  if (c != null) return `${c > 0 ? "+" : ""}${c.toFixed(1)} % BPM`;
  return pct == null ? "BPM ?" : `${pct.toFixed(1)} % BPM apart`;
}

// every hop mixes (key move and BPM step under "normal", 6 %); the recommender orders paths of as many hops
async function showHarmonicPath(a, b, out) {
  status(`Finding harmonic paths from ${a.title} to ${b.title}…`);
  let res;
  try { res = await api.harmonicPath(a.id, b.id, { k: 3, maxLen: 6 }); } catch (err) { fail("harmonic path")(err); return; }
  if (state.track !== a) return;
  if (!res.paths.length) {
    out.replaceChildren(h("div.diagnosis", { "data-testid": "harmonic-diagnosis" }, res.diagnosis || "No harmonic path."));
    status("No harmonic path: see why in the panel.");
    return;
  }
  out.replaceChildren(...res.warnings.map((w) => h("div.diagnosis", {}, w)), ...res.paths.map((p, i) =>
    h("div.rec", { "data-testid": "harmonic-path" },
      h("div.meta", {}, h("span.chip", {}, `Path ${i + 1}`), h("span.score", { title: "how likely the recommender finds the whole path (log)" },
        `${p.hops} hop${p.hops === 1 ? "" : "s"} · log-likelihood ${p.log_likelihood.toFixed(1)}`)),
      h("ol.hops", {}, ...p.tracks.slice(1).map((c, j) => h("li", {},
        h("button.linklike", { onclick: () => openTrack(c.track_id) }, trackName(c)),
        h("span.move", {}, ` ${p.tracks[j].camelot} → ${c.camelot} ${MOVE_WORDS[c.move] || c.move || ""}, ${bpmChange(c.breakdown.evidence, c.bpm_pct)}`),
        h("div.why", { "data-testid": "path-hop-why" }, c.explanation || "")))))));
  status(`${res.paths.length} harmonic path${res.paths.length === 1 ? "" : "s"} from ${a.title} to ${b.title}.`);
}

async function loadRecommendations(t) {
  let res;
  try { res = await api.recommendations(t.id, { limit: 8 }); } catch (err) { fail("recommendations")(err); return; }
  if (state.track !== t) return;
  const box = $("#recs");
  box.replaceChildren(
    ...res.warnings.map((w) => h("div.diagnosis", {}, w)),
    ...res.recommendations.map((r) => {
      const ev = r.evidence;
      const move = ev.key.move ? `${ev.key.from} → ${ev.key.to}` : "key ?";
      const bpm = ev.bpm.change_pct != null ? `${ev.bpm.change_pct > 0 ? "+" : ""}${ev.bpm.change_pct.toFixed(1)} % BPM` : "BPM ?";
      return h("div.rec", { "data-testid": "recommendation", dataset: { id: r.track.id } },
        h("div.title", {}, h("button.linklike", { onclick: () => openTrack(r.track.id) }, trackName(r.track))),
        h("div.why", { "data-testid": "explanation" }, r.explanation),
        h("div.meta", {}, h("span.chip.key", { title: MOVE_WORDS[ev.key.move] || "" }, move), h("span.chip", {}, bpm),
          ...r.flags.map((f) => h("span.chip.warn", {}, f)),
          h("span.score", { title: `the model's chance that a DJ plays it next: ${(r.score * 100).toFixed(2)} %` }, `#${r.rank}`),
          h("button.primary", { "data-testid": "play-next", onclick: () => playNext(t, r.track) }, "Play next ▸")));
    }),
  );
  if (!res.recommendations.length && !res.warnings.length) box.replaceChildren(h("div.hint", {}, "No recommendation."));
  status(`${res.recommendations.length} next tracks for ${t.title} (${res.candidates_considered} candidates considered).`);
}

function addToGrowing(t) {
  if (!state.growing.length || state.growing[state.growing.length - 1].id !== t.id) state.growing.push(t);
  renderGrowing();
}

function playNext(source, next) {
  if (!state.growing.length || state.growing[state.growing.length - 1].id !== source.id) addToGrowing(source);
  addToGrowing(next);
  openTrack(next.id);
}

function renderGrowing() {
  const el = $("#growing");
  if (!el) return;
  if (!state.growing.length) { el.replaceChildren(h("div.hint", {}, "Press “Play next” on a recommendation: it joins your set and becomes the new source.")); return; }
  el.replaceChildren(
    h("ol.list.growing", { "data-testid": "growing-set" }, ...state.growing.map((t, i) => {
      const prev = state.growing[i - 1];
      return h("li", {}, trackName(t), h("span.move", {}, ` ${t.camelot || "?"} · ${fmtBpm(t.bpm)}${prev && prev.camelot && t.camelot ? ` (from ${prev.camelot})` : ""}`));
    })),
    h("div.meta", {},
      h("button", { onclick: () => { state.growing = []; renderGrowing(); } }, "Clear"),
      h("button", { onclick: sendGrowingToBuilder }, "Refine in set builder")),
  );
}

function sendGrowingToBuilder() {
  const g = state.growing;
  state.form.start = g[0];
  state.form.end = g.length > 1 ? g[g.length - 1] : null;
  state.form.waypoints = g.slice(1, -1).slice(0, 20);
  document.querySelector('#set-form [name="length"]').value = Math.max(2, g.length);
  renderForm();
  showTab("set");
}

// --- set builder ------------------------------------------------------------------------------------------------
function trackPicker(slot, field) {
  const chosen = field === "waypoint" ? null : state.form[field];
  if (chosen) {
    slot.replaceChildren(h("span.chosen", { "data-testid": `set-${field}` }, h("span.chip.key", {}, chosen.camelot || "?"), trackName(chosen),
      h("button", { type: "button", onclick: () => { state.form[field] = null; renderForm(); } }, "×")));
    return;
  }
  const input = h("input", { type: "search", placeholder: field === "waypoint" ? "Add a waypoint track…" : "Search a track…", "data-testid": `pick-${field}` });
  const drop = h("div.dropdown", { hidden: true });
  slot.replaceChildren(input, drop);
  searchBox(input, drop, { artists: false, onPick: (_, t) => {
    if (field === "waypoint") state.form.waypoints.push(t); else state.form[field] = t;
    renderForm();
  } });
}

function renderForm() {
  for (const slot of document.querySelectorAll("#set-form .picker")) trackPicker(slot, slot.dataset.field);
  const list = $("#waypoints");
  const w = state.form.waypoints;
  list.replaceChildren(...w.map((t, i) => h("li", {}, trackName(t), " ",
    h("button", { type: "button", title: "earlier", disabled: i === 0, onclick: () => { [w[i - 1], w[i]] = [w[i], w[i - 1]]; renderForm(); } }, "↑"),
    h("button", { type: "button", title: "later", disabled: i === w.length - 1, onclick: () => { [w[i + 1], w[i]] = [w[i], w[i + 1]]; renderForm(); } }, "↓"),
    h("button", { type: "button", title: "remove", onclick: () => { w.splice(i, 1); renderForm(); } }, "×"))));
}

$('#set-form [name="energy"]').addEventListener("change", (e) => { $("#custom-curve").hidden = e.target.value !== "custom"; });

$("#set-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const out = $("#set-result");
  if (!state.form.start) { out.replaceChildren(h("div.diagnosis", {}, "Choose a start track first.")); return; }
  let energy = f.get("energy") || null;
  if (energy === "custom") {
    energy = String(f.get("custom") || "").split(/[\s,;]+/).filter(Boolean).map(Number);
    if (!energy.length || energy.some((x) => !(x >= 0 && x <= 1))) { out.replaceChildren(h("div.diagnosis", {}, "Custom energies are numbers between 0 and 1.")); return; }
  }
  const body = {
    start_track_id: state.form.start.id,
    end_track_id: state.form.end ? state.form.end.id : null,
    waypoints: state.form.waypoints.map((t) => t.id),
    length: Number(f.get("length")), strictness: f.get("strictness"), max_bpm_step_pct: Number(f.get("bpm_step")),
    energy_curve: energy, artist_gap: Number(f.get("artist_gap")), alternatives: Number(f.get("alternatives")),
  };
  status("Building the set…");
  out.replaceChildren(h("div.hint", {}, "Building…"));
  let res;
  try { res = await api.buildSet(body); } catch (err) { out.replaceChildren(h("div.diagnosis", {}, err.message)); fail("set builder")(err); return; }
  state.lastSets = res;
  renderSets(res, 0);
});

function renderSets(res, index) {
  const out = $("#set-result");
  if (!res.sets.length) {
    out.replaceChildren(h("div.diagnosis", { "data-testid": "set-diagnosis" }, res.diagnosis || "No set satisfies the constraints."),
      res.binding ? h("div.hint", {}, `Binding constraint: ${res.binding}`) : null);
    status("No set: see why in the panel.");
    return;
  }
  const s = res.sets[index];
  const chart = h("div", { "data-testid": "set-chart" });
  out.replaceChildren(
    h("div.alts", {}, ...res.sets.map((_, i) => h("button", { "aria-pressed": String(i === index), onclick: () => renderSets(res, i) }, `Set ${i + 1}`))),
    h("div.facts", {}, h("span.chip", {}, `${s.tracks.length} tracks`), h("span.chip", {}, `${s.duration_min.toFixed(0)} min`),
      h("span.chip", {}, `mean hop score ${s.mean_hop_score.toFixed(2)}`),
      s.energy_deviation != null ? h("span.chip", {}, `energy off target by ${s.energy_deviation.toFixed(2)}`) : null),
    ...res.warnings.map((w) => h("div.diagnosis", {}, w)),
    chart,
    h("table.settable", { "data-testid": "set-result" },
      h("tr", {}, h("th", {}, "#"), h("th", {}, "Track"), h("th", {}, "Key"), h("th", {}, "BPM"), h("th", {}, "Move in"), h("th", {}, "Why")),
      ...s.tracks.map((t, i) => {
        const tr = s.transitions[i - 1];
        return h("tr", {}, h("td", {}, t.position), h("td", {}, h("button.linklike", { onclick: () => openTrack(t.id) }, trackName(t))),
          h("td", {}, t.camelot || "?"), h("td", {}, t.bpm ?? "?"),
          h("td", {}, tr ? `${tr.key_move} ${MOVE_WORDS[tr.move] || tr.move || ""}, ${bpmChange(tr.breakdown.evidence, tr.bpm_pct)}` : "start"),
          h("td.why", { "data-testid": "hop-why" }, tr ? tr.explanation || "" : ""));
      })),
  );
  drawSetChart(chart, s);
  status(`Set ${index + 1} of ${res.sets.length}: ${s.tracks.length} tracks.`);
}

// --- Camelot wheel, start page -----------------------------------------------------------------------------------
const wheel = drawWheel($("#wheel"), $("#wheel-moves"), api, status);
wheel.choose("8A");
renderForm();

(async () => {
  try {
    const c = await api.charts(6);
    $("#starters").replaceChildren(
      ...c.top_artists.slice(0, 5).map((a) => h("button", { onclick: () => openArtist(a.id), dataset: { kind: "artist", id: a.id } }, a.name)),
      ...c.top_tracks.slice(0, 3).map((t) => h("button", { onclick: () => openTrack(t.id), dataset: { kind: "track", id: t.id } }, `♫ ${t.title}`)));
  } catch (err) { fail("charts")(err); }
})();

// for the browser test and the curious: the live graph and renderer
window.__explorer = { view, state, openArtist, openTrack };
