// The graph canvas: graphology holds the graph, sigma draws it with WebGL (thousands of nodes stay fluid),
// ForceAtlas2 lays it out, Louvain colours the communities of a collaboration network.
import Graph from "graphology";
import Sigma from "sigma";
import forceAtlas2 from "graphology-layout-forceatlas2";
import FA2Layout from "graphology-layout-forceatlas2/worker";
import louvain from "graphology-communities-louvain";
import { circular } from "graphology-layout";

export const PALETTE = ["#ff7a45", "#4fc3f7", "#5bd68a", "#ffd166", "#c792ea", "#ef6b73", "#7ee0d0", "#f78fb3",
  "#a3be8c", "#82aaff", "#e0a96d", "#b0bec5"];
export const KIND_COLOURS = { Artist: "#ff7a45", Track: "#4fc3f7", Set: "#c792ea", Key: "#ffd166", Label: "#5bd68a" };
const DIM = "#2a2f40";
const SYNC_LAYOUT_MAX = 1500; // up to this many nodes ForceAtlas2 runs at once; above, in a web worker

function mulberry32(seed) { // a seeded generator: the same graph gets the same colours every time
  return function rng() {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A graphology graph from an API payload (format=graphology), attributes made ready for sigma: the API's
 * relationship `type` moves to `rel` (sigma reads `type` as the edge program), sizes come from degrees. */
export function importPayload(payload) {
  const g = new Graph({ multi: true, type: "mixed", allowSelfLoops: false });
  g.import(payload);
  g.updateEachEdgeAttributes((_, a) => {
    const weight = a.weight ?? a.count ?? 1;
    return { ...a, rel: a.type, type: a.type === "TRANSITIONS_TO" ? "arrow" : "line", weight,
      size: 0.6 + Math.log2(1 + weight) * 1.2 };
  });
  return g;
}

export class GraphView {
  constructor(container, { onNodeClick, onHover } = {}) {
    this.container = container;
    this.onNodeClick = onNodeClick;
    this.onHover = onHover;
    this.graph = new Graph({ type: "undirected" });
    this.communityRank = [];
    this.mode = null; // "artists" | "track"
    this.highlighted = null; // Set of node keys on a highlighted path
    this.highlightedEdges = null;
    this.hovered = null;
    this.worker = null;
    this.renderer = new Sigma(this.graph, container, {
      renderEdgeLabels: true,
      enableEdgeEvents: true,
      labelColor: { color: "#e6e8ef" },
      edgeLabelColor: { color: "#9aa1b5" },
      edgeLabelSize: 10,
      labelSize: 12,
      labelRenderedSizeThreshold: 7,
      defaultEdgeColor: "#3b4259",
      zIndex: true,
      nodeReducer: (node, data) => this.reduceNode(node, data),
      edgeReducer: (edge, data) => this.reduceEdge(edge, data),
    });
    this.renderer.on("clickNode", ({ node }) => this.onNodeClick && this.onNodeClick(node, this.graph.getNodeAttributes(node)));
    this.renderer.on("enterNode", ({ node }) => { this.hovered = node; this.hover("node", node); this.renderer.refresh({ skipIndexation: true }); });
    this.renderer.on("leaveNode", () => { this.hovered = null; this.hover(null); this.renderer.refresh({ skipIndexation: true }); });
    this.renderer.on("enterEdge", ({ edge }) => this.hover("edge", edge));
    this.renderer.on("leaveEdge", () => this.hover(null));
  }

  hover(kind, key) {
    if (!this.onHover) return;
    if (!kind) return this.onHover(null);
    if (kind === "node") return this.onHover({ kind, key, attrs: this.graph.getNodeAttributes(key), degree: this.graph.degree(key) });
    const [s, t] = this.graph.extremities(key);
    this.onHover({ kind, key, attrs: this.graph.getEdgeAttributes(key), source: this.graph.getNodeAttributes(s), target: this.graph.getNodeAttributes(t) });
  }

  reduceNode(node, data) {
    const out = { ...data };
    if (this.highlighted && !this.highlighted.has(node)) { out.color = DIM; out.label = ""; out.zIndex = 0; }
    else if (this.highlighted) { out.zIndex = 2; out.forceLabel = true; out.highlighted = true; }
    if (this.hovered && this.hovered !== node && !this.graph.areNeighbors(this.hovered, node) && !this.highlighted) {
      out.color = DIM; out.label = "";
    }
    return out;
  }

  reduceEdge(edge, data) {
    const out = { ...data };
    if (this.highlightedEdges) {
      if (this.highlightedEdges.has(edge)) { out.color = "#ffd166"; out.size = Math.max(3, data.size * 1.5); out.zIndex = 2; }
      else { out.color = "#1d2130"; out.label = ""; }
    } else if (this.hovered && !this.graph.hasExtremity(edge, this.hovered)) {
      out.hidden = true;
    }
    return out;
  }

  stopLayout() {
    if (this.worker) { this.worker.kill(); this.worker = null; }
  }

  /** Replace the graph with ``g`` (a graphology graph from importPayload). The next graph is built, decorated
   * and laid out off screen, then handed to sigma in one go. */
  show(g, mode) {
    this.stopLayout();
    this.mode = mode;
    this.highlighted = this.highlightedEdges = null;
    const next = mode === "artists" ? new Graph({ type: "undirected" }) : new Graph({ multi: true, type: "mixed" });
    this.mergeInto(next, g, null);
    this.finish(next, true);
  }

  /** Add ``g`` to the shown graph (an expansion around ``around``): existing nodes keep their place. */
  merge(g, around) {
    this.stopLayout();
    const next = this.graph.copy();
    const added = this.mergeInto(next, g, around);
    this.finish(next, false);
    return added;
  }

  finish(next, fresh) {
    this.decorate(next);
    this.layout(next, fresh);
    this.graph = next;
    this.renderer.setGraph(next);
    if (next.order > SYNC_LAYOUT_MAX) this.layoutInWorker(next);
    if (fresh) this.renderer.getCamera().animatedReset({ duration: 0 });
  }

  mergeInto(graph, g, around) {
    const origin = around && graph.hasNode(around) ? graph.getNodeAttributes(around) : { x: 0, y: 0 };
    let added = 0;
    g.forEachNode((key, a) => {
      if (graph.hasNode(key)) {
        const { x, y } = graph.getNodeAttributes(key);
        graph.mergeNodeAttributes(key, { ...a, x, y });
        return;
      }
      const angle = Math.random() * 2 * Math.PI;
      graph.addNode(key, { ...a, x: origin.x + Math.cos(angle) * 5, y: origin.y + Math.sin(angle) * 5 });
      added += 1;
    });
    g.forEachEdge((key, a, s, t, _sa, _ta, undirected) => {
      if (this.mode === "artists") {
        if (!graph.hasEdge(s, t)) graph.addEdge(s, t, a);
      } else if (undirected) graph.addUndirectedEdge(s, t, a);
      else graph.addDirectedEdge(s, t, a);
    });
    return added;
  }

  /** Sizes from degrees, colours from Louvain communities (artists) or node kinds (a track's neighbourhood). */
  decorate(g) {
    if (this.mode === "artists" && g.order > 1 && g.size > 0) {
      louvain.assign(g, { getEdgeWeight: "weight", rng: mulberry32(42), nodeCommunityAttribute: "louvain" });
    }
    const degree = {};
    g.forEachNode((n) => { degree[n] = g.degree(n); });
    const communities = new Map();
    g.forEachNode((n, a) => {
      const c = this.mode === "artists" ? (a.louvain ?? a.community ?? 0) : a.kind;
      communities.set(c, (communities.get(c) || 0) + 1);
    });
    const rank = [...communities.entries()].sort((x, y) => y[1] - x[1]).map(([c]) => c);
    g.updateEachNodeAttributes((n, a) => ({
      ...a,
      degree: degree[n],
      size: 3 + 2.4 * Math.sqrt(degree[n]),
      color: this.mode === "artists" ? PALETTE[rank.indexOf(a.louvain ?? a.community ?? 0) % PALETTE.length]
        : (KIND_COLOURS[a.kind] || "#b0bec5"),
    }));
    g.updateEachEdgeAttributes((_, a) => ({
      ...a,
      // weights show as thickness everywhere and as text where they say more than one shared track (hover: all)
      label: a.rel === "COLLABORATED_WITH" ? (a.weight > 1 ? `${a.weight} tracks` : "")
        : a.rel === "TRANSITIONS_TO" ? `played next ${a.count}×` : a.rel === "SUPPORTS" ? `plays ${a.count}×` : "",
    }));
    this.communityRank = rank;
  }

  layout(g, fresh) {
    if (g.order === 0) return;
    if (fresh) circular.assign(g, { scale: 100 });
    if (g.order > SYNC_LAYOUT_MAX) return; // laid out in a worker once shown
    const settings = { ...forceAtlas2.inferSettings(g), edgeWeightInfluence: 0.5 };
    forceAtlas2.assign(g, { iterations: fresh ? (g.order > 600 ? 120 : 300) : 100, settings, getEdgeWeight: "weight" });
  }

  layoutInWorker(g) {
    this.worker = new FA2Layout(g, { settings: { ...forceAtlas2.inferSettings(g), edgeWeightInfluence: 0.5 }, getEdgeWeight: "weight" });
    this.worker.start();
    setTimeout(() => this.stopLayout(), 4000);
  }

  highlight(nodes, pairs) {
    if (!nodes) { this.highlighted = this.highlightedEdges = null; this.renderer.refresh({ skipIndexation: true }); return; }
    this.highlighted = new Set(nodes);
    this.highlightedEdges = new Set();
    for (const [s, t] of pairs) {
      this.graph.forEachEdge(s, t, (e) => this.highlightedEdges.add(e));
    }
    this.renderer.refresh({ skipIndexation: true });
  }

  /** Viewport position of a node (tests click it there). */
  screenPosition(node) {
    const a = this.graph.getNodeAttributes(node);
    return this.renderer.graphToViewport({ x: a.x, y: a.y });
  }
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
