"""The Cypher query library: one query per ``cypher/<name>.cypher`` file, parameters declared in its header.

Header convention (checked by ``tools/cypher-lint/lint.mjs`` with Neo4j's own front-end)::

    // <name>: <what the query does>
    // params: $artist_id INTEGER, $depth INTEGER (1-3)      (or: // params: none)

``schema_constraints.cypher`` is the one file with several statements (``// statements: several``);
``statements(name)`` splits it on ``;`` so each schema command runs on its own.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\s+[A-Z]")


@cache
def load(name: str) -> str:
    """The text of ``cypher/<name>.cypher`` (header comments included; Neo4j ignores them)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"not a query name: {name!r}")
    try:
        return resources.files(__package__).joinpath(f"{name}.cypher").read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise KeyError(f"no Cypher query named {name!r} in the cypher package") from e


@cache
def params(name: str) -> list[str]:
    """Parameter names declared on the ``// params:`` header line, in order."""
    for line in load(name).splitlines()[:3]:
        if line.startswith("// params:"):
            decl = line[len("// params:"):].strip()
            return [] if decl == "none" else _PARAM_RE.findall(decl)
    raise ValueError(f"cypher/{name}.cypher has no `// params:` header line")


def statements(name: str) -> list[str]:
    """The statements of a file, split on ``;`` at line ends, comment lines dropped."""
    body = "\n".join(line for line in load(name).splitlines() if not line.lstrip().startswith("//"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


def names() -> list[str]:
    """Every query name in the library."""
    return sorted(p.name[: -len(".cypher")] for p in resources.files(__package__).iterdir()
                  if p.name.endswith(".cypher"))
