"""What the graph holds: labels, relationship types and their properties.

This is the single description of the graph schema. The gold tables define the data, the projection
writes exactly this, the Cypher lint checks every query against it, and reconcile counts it.
"""

from __future__ import annotations

NODE_LABELS: dict[str, dict[str, str]] = {
    # label -> property -> Cypher type
    "Track": {
        "id": "INTEGER", "title": "STRING", "version": "STRING", "artists": "STRING", "bpm": "FLOAT",
        "key_pc": "INTEGER", "key_mode": "INTEGER", "camelot": "STRING", "energy": "FLOAT",
        "genres": "LIST<STRING>", "plays": "INTEGER", "sets": "INTEGER", "quality": "FLOAT",
        "label": "STRING", "year": "INTEGER", "duration_s": "FLOAT",
        # popularity and trend (etl/gold.py): distinct DJs, plays and DJs in the recent window, trend score,
        # and the genres of the sets that played the track
        "djs": "INTEGER", "plays_recent": "INTEGER", "djs_recent": "INTEGER", "trend": "FLOAT",
        "scene_genres": "LIST<STRING>",
    },
    "Artist": {"id": "INTEGER", "name": "STRING", "name_key": "STRING", "tracks": "INTEGER", "sets": "INTEGER",
               "plays": "INTEGER", "djs": "INTEGER", "plays_recent": "INTEGER", "trend": "FLOAT"},
    "Key": {
        "camelot": "STRING", "pitch_class": "INTEGER", "mode": "INTEGER", "name": "STRING",
        "open_key": "STRING", "number": "INTEGER", "letter": "STRING",
    },
    "Set": {
        "id": "INTEGER", "title": "STRING", "dj": "STRING", "date": "DATE", "venue": "STRING",
        "event": "STRING", "show": "STRING", "source": "STRING", "tracks": "INTEGER", "genres": "LIST<STRING>",
        "kind": "STRING",  # mix (played order), playlist (chosen order), crate (no order)
    },
    "Label": {"id": "INTEGER", "name": "STRING", "tracks": "INTEGER"},
}

# type -> (start label, end label, properties)
RELATIONSHIPS: dict[str, tuple[str, str, dict[str, str]]] = {
    "BY": ("Track", "Artist", {"role": "STRING", "position": "INTEGER"}),
    # stored once per pair (start id < end id); queries match it undirected
    "COLLABORATED_WITH": ("Artist", "Artist", {"weight": "INTEGER", "first_year": "INTEGER", "last_year": "INTEGER"}),
    "TRANSITIONS_TO": ("Track", "Track", {"count": "INTEGER", "djs": "INTEGER", "last_seen": "DATE"}),
    "IN_KEY": ("Track", "Key", {}),
    # stored in both directions for asymmetric moves; move names are graphsvc.harmonic.Move values
    "COMPATIBLE": ("Key", "Key", {"move": "STRING", "score": "FLOAT"}),
    "CONTAINS": ("Set", "Track", {"position": "INTEGER"}),
    "PLAYED": ("Artist", "Set", {}),
    "SUPPORTS": ("Artist", "Artist", {"count": "INTEGER"}),
    "ON_LABEL": ("Track", "Label", {}),
}

# properties the Neo4j projection adds for its indexes only (Track search, graphsvc.names.track_search_keys):
# not part of what the graph answers, so not in NODE_LABELS (reads never return them)
INDEX_PROPERTIES: dict[str, dict[str, str]] = {"Track": {"search_key": "STRING", "title_key": "STRING"}}

# node key property per label (unique constraint)
NODE_KEYS: dict[str, str] = {"Track": "id", "Artist": "id", "Key": "camelot", "Set": "id", "Label": "id"}


def schema_json() -> dict:
    """The schema as plain JSON data, for tools outside Python (the Cypher lint in tools/cypher-lint)."""
    return {
        "labels": {label: {**props, **INDEX_PROPERTIES.get(label, {})} for label, props in NODE_LABELS.items()},
        "relationships": {
            rel: {"start": start, "end": end, "properties": dict(props)}
            for rel, (start, end, props) in RELATIONSHIPS.items()
        },
        "node_keys": dict(NODE_KEYS),
    }


if __name__ == "__main__":  # python -m graphsvc.graph.model -> the schema as JSON on stdout
    import json

    print(json.dumps(schema_json(), indent=2, sort_keys=True))
