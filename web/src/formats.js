// The three graph payload formats of the API, each loaded by its own library: d3-force (format=d3),
// Cytoscape.js (format=cytoscape) and graphology drawn by sigma (format=graphology). Each panel reports what
// the library holds, so a test can compare it with the API's own counts.
import "./style.css";
import { select } from "d3-selection";
import { forceSimulation, forceLink, forceManyBody, forceCenter } from "d3-force";
import cytoscape from "cytoscape";
import Graph from "graphology";
import Sigma from "sigma";
import { circular } from "graphology-layout";
import forceAtlas2 from "graphology-layout-forceatlas2";
import { api } from "./api.js";
import { PALETTE } from "./graphview.js";

const url = (artist, format) => `/v1/artists/${encodeURIComponent(artist)}/collaborations?depth=2&limit=80&format=${format}`;
const report = (id, result) => {
  const el = document.getElementById(id);
  el.dataset.nodes = result.nodes ?? "";
  el.dataset.edges = result.edges ?? "";
  el.dataset.error = result.error ?? "";
  el.dataset.done = "true";
  el.textContent = result.error ? `error: ${result.error}` : `${result.nodes} nodes, ${result.edges} edges loaded`;
};
async function get(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return res.json();
}

async function d3Panel(artist) {
  const data = await get(url(artist, "d3"));
  const svg = select("#d3");
  // forceLink resolves every link's source/target id to a node object: an id that matches no node throws
  const sim = forceSimulation(data.nodes)
    .force("link", forceLink(data.links).id((d) => d.id).distance(40))
    .force("charge", forceManyBody().strength(-60)).force("center", forceCenter(200, 160)).stop();
  for (let i = 0; i < 200; i++) sim.tick();
  svg.selectAll("line").data(data.links).join("line").attr("stroke", "#3b4259")
    .attr("x1", (l) => l.source.x).attr("y1", (l) => l.source.y).attr("x2", (l) => l.target.x).attr("y2", (l) => l.target.y);
  svg.selectAll("circle").data(data.nodes).join("circle").attr("r", (n) => 2 + Math.sqrt(n.size))
    .attr("fill", (n) => PALETTE[n.community % PALETTE.length]).attr("cx", (n) => n.x).attr("cy", (n) => n.y)
    .append("title").text((n) => n.label);
  const resolved = data.links.filter((l) => typeof l.source === "object" && typeof l.target === "object").length;
  return { nodes: sim.nodes().length, edges: resolved };
}

async function cytoscapePanel(artist) {
  const data = await get(url(artist, "cytoscape"));
  const cy = cytoscape({
    container: document.getElementById("cy"), elements: data.elements, layout: { name: "cose", animate: false, randomize: false },
    style: [
      { selector: "node", style: { "background-color": (n) => PALETTE[n.data("community") % PALETTE.length], width: (n) => 6 + 2 * Math.sqrt(n.data("size")), height: (n) => 6 + 2 * Math.sqrt(n.data("size")) } },
      { selector: "edge", style: { "line-color": "#3b4259", width: (e) => 0.5 + Math.log2(1 + (e.data("weight") || 1)) } },
    ],
  });
  // an edge whose source or target is not a node is refused by cytoscape: count what it holds
  const dangling = cy.edges().filter((e) => e.source().empty() || e.target().empty()).length;
  return { nodes: cy.nodes().length, edges: cy.edges().length - dangling };
}

async function graphologyPanel(artist) {
  const data = await get(url(artist, "graphology"));
  const g = new Graph();
  g.import(data); // graphology's own serialization: options, nodes, edges (throws on an unknown extremity)
  g.updateEachEdgeAttributes((_, a) => ({ ...a, rel: a.type, type: "line", size: 0.5 + Math.log2(1 + (a.weight || 1)) }));
  g.updateEachNodeAttributes((_, a) => ({ ...a, size: 3 + 2 * Math.sqrt(a.size), color: PALETTE[a.community % PALETTE.length] }));
  circular.assign(g);
  forceAtlas2.assign(g, { iterations: 150, settings: forceAtlas2.inferSettings(g) });
  new Sigma(g, document.getElementById("gy"), { labelColor: { color: "#e6e8ef" }, labelRenderedSizeThreshold: 8 });
  return { nodes: g.order, edges: g.size };
}

(async () => {
  let artist = new URLSearchParams(location.search).get("artist");
  if (!artist) {
    try { artist = (await api.charts(1)).top_artists[0].id; } catch (err) { artist = null; }
  }
  for (const [id, panel] of [["d3-status", d3Panel], ["cy-status", cytoscapePanel], ["gy-status", graphologyPanel]]) {
    try { report(id, await panel(artist)); } catch (err) { report(id, { error: String(err.message || err) }); }
  }
})();
