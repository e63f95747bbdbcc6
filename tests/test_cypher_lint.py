"""The Cypher library passes Neo4j's own front-end (tools/cypher-lint), and the lint really catches errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cypher

ROOT = Path(__file__).resolve().parents[1]
LINT = ROOT / "tools" / "cypher-lint"
IN_CI = os.environ.get("CI") == "true"


def _install_linter() -> str | None:
    """Install the pinned linter from package-lock.json on first use; returns why it is unavailable. Every
    pytest-xdist worker imports this module: an exclusive file lock lets one run `npm ci` while the others
    wait for it (two concurrent installs into one node_modules fail with ENOTEMPTY on a fresh clone)."""
    import fcntl

    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed"
    marker = LINT / "node_modules" / "@neo4j-cypher" / "language-support"
    with open(LINT / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not marker.is_dir():
                res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=LINT,
                                     capture_output=True, text=True, timeout=600)
                if res.returncode != 0:
                    return f"npm ci in tools/cypher-lint failed: {res.stderr[-2000:]}"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return None


_why_not = _install_linter()
if _why_not:
    if IN_CI:
        raise RuntimeError(f"the Cypher lint must run in CI: {_why_not}")
    pytest.skip(f"{_why_not}; CI always runs this lint", allow_module_level=True)


def run_lint(*files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRAPHSVC_PYTHON": sys.executable}
    return subprocess.run(["node", str(LINT / "lint.mjs"), *files], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_library_has_zero_diagnostics() -> None:
    result = run_lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert f"{len(cypher.names())} file(s), 0 diagnostic(s) (CYPHER 5)" in result.stderr


def test_lint_reports_syntax_schema_and_parameter_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad_query.cypher"
    bad.write_text(
        "// bad_query: several mistakes on purpose\n"
        "// params: $id INTEGER, $never_used STRING\n"
        "MATCH (t:Trak {id: $id})-[:BY]->(a:Artist)\n"
        "WHERE a.nmae = $undeclared\n"
        "RETURN t\n")
    syntax = tmp_path / "syntax_error.cypher"
    syntax.write_text("// syntax_error: unclosed node pattern\n// params: none\nMATCH (n:Track RETURN n\n")
    result = run_lint(str(bad), str(syntax))
    out = result.stdout
    assert result.returncode == 1
    assert "bad_query.cypher:3:" in out and "Label Trak is not present in the database" in out
    assert "nmae is not present in the database" in out
    assert "Parameter $undeclared is not defined." in out
    assert "parameter $never_used is declared but never used" in out
    assert "syntax_error.cypher:3:16 error Invalid input 'RETURN'" in out


def test_lint_rejects_cypher_25_only_syntax(tmp_path: Path) -> None:
    """SHORTEST $k (a parameter as the path count) is not Cypher 5: the lint must target Cypher 5."""
    q = tmp_path / "c25.cypher"
    q.write_text("// c25: parameter path count\n// params: $k INTEGER\n"
                 "MATCH p = SHORTEST $k (a:Artist)-[:COLLABORATED_WITH]-+(b:Artist) RETURN p\n")
    result = run_lint(str(q))
    assert result.returncode == 1 and "c25.cypher:3:" in result.stdout


def test_loader_reads_headers() -> None:
    assert cypher.params("collaboration_network") == ["artist_id", "depth", "min_weight", "limit"]
    assert cypher.params("counts_nodes") == []
    assert len(cypher.statements("schema_constraints")) == 12
    assert all(len(cypher.statements(n)) == 1 for n in cypher.names() if n != "schema_constraints")
