"""The OpenAPI document's examples: real ids and real answers of the demo dataset.

``graphsvc demo`` (seed 7, 2,000 tracks: the command's defaults) always builds the same graph, and ids are
hashes of natural keys, so an example taken from it can be called as written against any demo server.
``scripts/openapi_examples.py`` builds the demo, calls the API and writes ``openapi_examples.json``, which
this module reads; ``tests/test_explorer_browser.py`` calls every documented example against a live demo
server and validates each answer against its response model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic.config import JsonValue  # what a model's json_schema_extra may hold


@dataclass(frozen=True)
class Examples:
    dataset: str
    track_id: str
    other_track_id: str  # reachable from track_id by a harmonic path
    artist_id: str
    other_artist_id: str  # reachable from artist_id by a collaboration path
    set_id: str
    track_query: str
    artist_query: str
    genre: str
    #: example answers, by response model name (trimmed real answers)
    responses: dict[str, Any] = field(default_factory=dict)
    #: example request bodies, by request model name
    requests: dict[str, Any] = field(default_factory=dict)

    def response(self, model: str) -> list[JsonValue]:
        """``[example]`` for a model's ``json_schema_extra``, or ``[]`` when none was recorded."""
        value = self.responses.get(model)
        return [value] if value is not None else []

    def request(self, model: str) -> list[JsonValue]:
        value = self.requests.get(model)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]


def demo_example(value: Any) -> dict[str, Any]:
    """A parameter's ``openapi_examples``: one example taken from the demo dataset."""
    return {"demo": {"summary": "from the demo dataset (graphsvc demo)", "value": value}}


def load() -> Examples:
    data = json.loads(resources.files("graphsvc.api").joinpath("openapi_examples.json").read_text("utf-8"))
    return Examples(**data)


EXAMPLES = load()
