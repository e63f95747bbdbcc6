"""Graph payloads: a store ``Subgraph`` as the API's own JSON or as d3, Cytoscape.js or graphology input.

Every node carries a display label, a size hint (its degree in the returned subgraph) and a community id
from networkx's Louvain method with a fixed seed, so the same request colours the same way every time.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graphsvc.api.schemas import GraphFormat
from graphsvc.graph.base import Subgraph

LOUVAIN_SEED = 42


def _display(label: str, props: dict[str, Any]) -> str:
    if label == "Track":
        artists, title = props.get("artists"), props.get("title") or ""
        return f"{artists} - {title}" if artists else title
    if label == "Set":
        return str(props.get("title") or props.get("id"))
    if label == "Key":
        return str(props.get("camelot"))
    return str(props.get("name") or props.get("id"))


def communities(sub: Subgraph) -> dict[str, int]:
    """node id -> community number; communities numbered by size desc, then smallest node id."""
    g = nx.Graph()
    g.add_nodes_from(n.id for n in sub.nodes)
    for e in sub.edges:
        w = e.properties.get("weight") or e.properties.get("count") or 1
        if g.has_edge(e.source, e.target):
            g[e.source][e.target]["weight"] += w
        else:
            g.add_edge(e.source, e.target, weight=w)
    if g.number_of_nodes() == 0:
        return {}
    parts = nx.community.louvain_communities(g, weight="weight", seed=LOUVAIN_SEED)
    parts = sorted((sorted(p) for p in parts), key=lambda p: (-len(p), p[0]))
    return {n: i for i, p in enumerate(parts) for n in p}


#: Most edges a graph payload carries. A depth-2 neighbourhood of a busy artist on the real MixesDB data has
#: 500 nodes and 5,238 edges (820 of its 904 KB are edges); the strongest edges (weight / count, then their
#: order) are kept and ``edges_truncated`` says that some were left out.
MAX_EDGES = 2000


def _strength(e: Any) -> float:
    return float(e.properties.get("weight") or e.properties.get("count") or 1)


def cap_edges(sub: Subgraph, max_edges: int = MAX_EDGES) -> tuple[list[Any], bool]:
    if len(sub.edges) <= max_edges:
        return list(sub.edges), False
    keep = sorted(range(len(sub.edges)), key=lambda i: (-_strength(sub.edges[i]), i))[:max_edges]
    return [sub.edges[i] for i in sorted(keep)], True


def graph_payload(sub: Subgraph) -> dict[str, Any]:
    """The default format: {nodes, edges, truncated, edges_truncated, communities}."""
    kept, edges_cut = cap_edges(sub)
    if edges_cut:
        sub = Subgraph(nodes=sub.nodes, edges=kept, truncated=sub.truncated)
    degree: dict[str, int] = {n.id: 0 for n in sub.nodes}
    for e in sub.edges:
        degree[e.source] = degree.get(e.source, 0) + 1
        degree[e.target] = degree.get(e.target, 0) + 1
    comm = communities(sub)
    nodes = [{"id": n.id, "kind": n.label, "label": _display(n.label, n.properties), "size": degree.get(n.id, 0),
              "community": comm.get(n.id, 0), "properties": n.properties} for n in sub.nodes]
    edges = [{"id": f"e{i}", "source": e.source, "target": e.target, "type": e.type, "properties": e.properties}
             for i, e in enumerate(sub.edges)]
    return {"nodes": nodes, "edges": edges, "truncated": sub.truncated, "edges_truncated": edges_cut,
            "communities": len(set(comm.values()))}


def _flat(node: dict[str, Any]) -> dict[str, Any]:
    out = dict(node["properties"])
    out.pop("id", None)
    out.update(id=node["id"], kind=node["kind"], label=node["label"], size=node["size"],
               community=node["community"])
    return out


def _flat_edge(edge: dict[str, Any]) -> dict[str, Any]:
    out = dict(edge["properties"])
    out.update(id=edge["id"], source=edge["source"], target=edge["target"], type=edge["type"])
    return out


def render(sub: Subgraph, fmt: GraphFormat) -> dict[str, Any]:
    g = graph_payload(sub)
    if fmt is GraphFormat.json:
        return g
    if fmt is GraphFormat.d3:
        return {"nodes": [_flat(n) for n in g["nodes"]], "links": [_flat_edge(e) for e in g["edges"]],
                "truncated": g["truncated"], "edges_truncated": g["edges_truncated"]}
    if fmt is GraphFormat.cytoscape:
        return {"elements": {"nodes": [{"data": _flat(n)} for n in g["nodes"]],
                             "edges": [{"data": _flat_edge(e)} for e in g["edges"]]},
                "truncated": g["truncated"], "edges_truncated": g["edges_truncated"]}
    # graphology: Graph.import() format
    return {
        "attributes": {"truncated": g["truncated"], "edges_truncated": g["edges_truncated"],
                       "communities": g["communities"]},
        "options": {"type": "mixed", "multi": True, "allowSelfLoops": False},
        "nodes": [{"key": n["id"], "attributes": {k: v for k, v in _flat(n).items() if k != "id"}}
                  for n in g["nodes"]],
        "edges": [{"key": e["id"], "source": e["source"], "target": e["target"],
                   "attributes": {k: v for k, v in _flat_edge(e).items() if k not in ("id", "source", "target")},
                   "undirected": e["type"] == "COLLABORATED_WITH"}
                  for e in g["edges"]],
    }
