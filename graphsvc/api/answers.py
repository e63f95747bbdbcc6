"""Fast answers for the hot read routes: JSON encoded once with orjson, and a small LRU of encoded answers.

FastAPI validates a returned dict against the route's ``response_model`` and then encodes it with
pydantic; on a recommendation (20 candidates with their score breakdowns) that costs about as much CPU
as the graph query itself. The hot routes build payloads that already have the documented shape, so they
return :class:`JSONBytes` instead: FastAPI passes a ``Response`` through untouched, and the
``response_model`` still documents the answer in OpenAPI (schemathesis checks the two agree).

The answer cache is legitimate because the embedded graph is immutable between reloads: entries are keyed
by the store object and its watermark, and :meth:`AnswerCache.clear` runs when the API swaps the store.
Only the event loop thread touches it (routes look up and store around the graph call), so it needs no
lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import orjson
from fastapi.encoders import jsonable_encoder
from starlette.responses import Response

from graphsvc.api.ids import ids_as_strings
from graphsvc.graph.base import GraphStore

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

#: Encoded answers kept per worker process, and the bytes they may hold in all (a recommendation of
#: 20 tracks is ~10 kB); an answer over MAX_ANSWER_BYTES is never kept.
ANSWER_CACHE_SIZE = 2048
ANSWER_CACHE_BYTES = 32 * 1024 * 1024
MAX_ANSWER_BYTES = 256 * 1024


def _fallback(value: Any) -> Any:
    """Types orjson does not encode itself (sets, numpy scalars it misses, pydantic models...)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return jsonable_encoder(value)


def json_bytes(content: Any, *, ids_are_strings: bool = False) -> bytes:
    """``content`` as JSON, as pydantic would write it for a plain payload (dates ISO, NaN as null,
    non-string keys as strings), every id a string (``graphsvc.api.ids``: JavaScript cannot hold 64-bit
    integers). A payload builder that writes its ids as strings itself says so with ``ids_are_strings``
    and skips the walk over the payload (a third of a recommendation's CPU)."""
    return orjson.dumps(content if ids_are_strings else ids_as_strings(content), default=_fallback, option=_OPTIONS)


class ApiJSON(Response):
    """The app's default answer class: the content (a route's dict, or what pydantic made of it for the
    ``response_model``) encoded by :func:`json_bytes`, so no id leaves as a JSON number."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


class JSONBytes(Response):
    """A 200 JSON answer whose body is already encoded."""

    media_type = "application/json"


class AnswerCache:
    """LRU of encoded answers: ``key -> bytes``, bounded to ``size`` entries and ``max_bytes`` in all."""

    def __init__(self, size: int = ANSWER_CACHE_SIZE, max_bytes: int = ANSWER_CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(store: GraphStore, *parts: Hashable) -> Hashable | None:
        """The cache key of an answer from ``store``; None (do not cache) unless the store is the
        embedded one, whose data only change when it is reloaded. Neo4j is written by the pipeline
        in place, so its answers are never cached."""
        if getattr(store, "backend", None) != "embedded":
            return None
        return (id(store), getattr(store, "watermark", None), *parts)

    def get(self, key: Hashable | None) -> bytes | None:
        if key is None or self.size <= 0:
            return None
        body = self._items.get(key)
        if body is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)  # (the key is there: only the event loop thread edits the cache)
        self.hits += 1
        return body

    def put(self, key: Hashable | None, body: bytes) -> None:
        if key is None or self.size <= 0 or len(body) > min(MAX_ANSWER_BYTES, self.max_bytes):
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= len(old)
        self._items[key] = body
        self.nbytes += len(body)
        while len(self._items) > self.size or self.nbytes > self.max_bytes:
            self.nbytes -= len(self._items.popitem(last=False)[1])

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._items)


async def cached_answer(cache: AnswerCache, key: Hashable | None,
                        compute: Callable[[], Awaitable[bytes]]) -> JSONBytes:
    """The encoded answer for ``key`` from ``cache``; on a miss ``compute()`` makes it and it is kept."""
    body = cache.get(key)
    if body is None:
        body = await compute()
        cache.put(key, body)
    return JSONBytes(body)
