"""The explorer's committed build (graphsvc/api/explorer) matches its sources in web/, and is complete."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
BUILT = ROOT / "graphsvc" / "api" / "explorer"


def _sources_sha256() -> str:
    """The hash web/build-info.mjs records (same files, same order, same bytes)."""
    info = json.loads((BUILT / "build-info.json").read_text())
    files = ["index.html", "formats.html", "package.json", "package-lock.json", "vite.config.js", "build-info.mjs"]
    files += [f"src/{p.name}" for p in sorted((WEB / "src").iterdir(), key=lambda p: p.name)]
    assert files == info["files"], "web/ sources changed: run `npm ci && npm run build` in web/"
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0")
        h.update((WEB / f).read_text("utf-8").replace("\r\n", "\n").encode())
        h.update(b"\0")
    return h.hexdigest()


def test_committed_bundle_is_built_from_the_committed_sources():
    info = json.loads((BUILT / "build-info.json").read_text())
    assert _sources_sha256() == info["sources_sha256"], "web/ changed since the last build: run `npm run build` in web/"


def test_pages_reference_only_their_own_assets():
    for page in ("index.html", "formats.html"):
        html = (BUILT / page).read_text()
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs, page
        for ref in refs:
            assert not re.match(r"(https?:)?//", ref), f"{page} loads {ref} from another origin"
            if ref.startswith("/assets/"):
                assert (BUILT / ref.lstrip("/")).is_file(), f"{page}: {ref} is missing"
