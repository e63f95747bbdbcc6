"""The code's habits, checked by the same test command CI runs: ``ruff check`` and ``mypy`` as configured in
pyproject.toml (rules, line length, target version, the files mypy checks) are clean.

Both run from this interpreter's environment (the ``test`` extras install them), in the repository root, so the
answer is the project's configuration and not whatever a machine's own ruff or mypy set-up says. Their caches
(``.ruff_cache``, ``.mypy_cache``) live in the checkout: a second run takes a second or two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


def test_ruff_check_is_clean():
    res = _run("ruff", "check", "--output-format", "concise", ".")
    assert res.returncode == 0, f"ruff check found problems:\n{res.stdout}{res.stderr}"


def test_mypy_is_clean():
    res = _run("mypy", "--config-file", "pyproject.toml")
    assert res.returncode == 0, f"mypy found problems:\n{res.stdout}{res.stderr}"
    assert "Success: no issues found" in res.stdout, res.stdout  # it checked files (the config names them)
