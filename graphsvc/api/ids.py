"""Ids in JSON are strings: JavaScript reads a JSON number as a double, exact only up to 2**53.

Track, artist, set and label ids are 64-bit hashes of natural keys (``graphsvc.ids``): as JSON numbers, a
browser rounds them (``5167824971729464268`` arrives as ``5167824971729464000``) and every follow-up request
names a track that does not exist. So the API writes every id as a decimal string and reads an id as that
string or as a number; inside Python ids stay ``int``.

Two parts:

- :data:`Id`, the pydantic type of request and response fields and path parameters: ``int`` in Python,
  ``"123"`` in JSON, ``type: string, pattern: ^-?[0-9]{1,19}$`` in the OpenAPI document;
- :func:`ids_as_strings`, applied by the encoder of every JSON answer (``graphsvc.api.answers``), for the
  payloads that are not pydantic models (graph node properties, lineage rows, pipeline statistics): an
  integer under a key named ``id`` or ``*_id``, or in a list under ``*_ids``, is written as a string.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ID_PATTERN = r"^-?[0-9]{1,19}$"
_ID_RE = re.compile(ID_PATTERN)


def parse_id(value: Any) -> Any:
    """An id from JSON or a path: a decimal string or an integer, within the 64-bit range."""
    if isinstance(value, bool):
        raise ValueError("an id is a decimal string such as \"4187263\", not a boolean")
    if isinstance(value, str):
        if not _ID_RE.match(value):
            raise ValueError("an id is a decimal integer string such as \"4187263\"")
        value = int(value)
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("an id is a 64-bit integer (at most 19 digits)")
    return value


_SCHEMA = {"type": "string", "pattern": ID_PATTERN,
           "description": "A 64-bit id written as a decimal string (JSON numbers lose precision in JavaScript); "
                          "a JSON number is accepted on input too"}

#: An id: ``int`` in Python, a decimal string in JSON (numbers accepted on input).
Id = Annotated[int, BeforeValidator(parse_id), PlainSerializer(str, return_type=str, when_used="json"),
               WithJsonSchema(_SCHEMA)]


_PLAIN = frozenset({str, float, bool, type(None)})  # leaves that are never ids


def _is_int(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, np.integer)


def _id_key(key: Any) -> bool:
    return isinstance(key, str) and (key == "id" or key.endswith("_id"))


def ids_as_strings(value: Any) -> Any:
    """``value`` (JSON-like data) with every integer id written as a string (see the module doc). It runs
    on every JSON answer, so the common leaves are told apart by exact type before anything slower."""
    t = type(value)
    if t is dict:
        out: dict[Any, Any] = {}
        for k, v in value.items():
            tv = type(v)
            if tv in _PLAIN:
                out[k] = v
            elif tv is int or (tv is not bool and _is_int(v)):
                out[k] = str(int(v)) if _id_key(k) else v
            elif tv is list or tv is tuple:
                if isinstance(k, str) and k.endswith("_ids"):
                    out[k] = [str(int(x)) if _is_int(x) else ids_as_strings(x) for x in v]
                else:
                    out[k] = [x if type(x) in _PLAIN else ids_as_strings(x) for x in v]
            else:
                out[k] = ids_as_strings(v)
        return out
    if t is list or t is tuple:
        return [x if type(x) in _PLAIN else ids_as_strings(x) for x in value]
    if t in _PLAIN or t is int:
        return value
    if isinstance(value, dict):
        return ids_as_strings(dict(value))
    if isinstance(value, (list, tuple)):
        return ids_as_strings(list(value))
    if hasattr(t, "__dataclass_fields__") and not isinstance(value, type):
        return ids_as_strings({name: getattr(value, name) for name in t.__dataclass_fields__})
    return value
