"""What public answers may show of server-side text: file names without their directories.

Run statistics and error messages are written for the operator (``etl status`` shows them whole); the public
API (``GET /v1/pipeline/runs``, ``/status``) passes them through :func:`strip_paths`, which cuts every absolute
path down to its last component, so the server's layout (home directories, data mounts) stays private.
"""

from __future__ import annotations

import re
from typing import Any

# an absolute path: "/" then at least one more "/"-separated part, up to a space, quote, colon or bracket
_ABS_PATH = re.compile(r"""(?<![\w.~/-])(?:~|[A-Za-z]:)?/(?:[^\s/'"`:,;()\[\]{}<>]+/)+([^\s/'"`:,;()\[\]{}<>]*)""")


def strip_path_text(text: str) -> str:
    return _ABS_PATH.sub(lambda m: m.group(1) or "(directory)", text)


def strip_paths(value: Any) -> Any:
    """``value`` (JSON-like data) with every absolute path in its strings reduced to the file name."""
    if isinstance(value, str):
        return strip_path_text(value) if "/" in value else value
    if isinstance(value, dict):
        return {k: strip_paths(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strip_paths(v) for v in value]
    return value
