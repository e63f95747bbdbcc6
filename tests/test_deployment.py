"""Deployment files (docker cannot run here): compose structure, Dockerfile steps, .env.example coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphsvc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_structure():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "neo4j", "api"}
    assert re.fullmatch(r"postgres:1[78]", services["postgres"]["image"])
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "NEO4J_AUTH" in services["neo4j"]["environment"]
    assert "7474" in " ".join(services["neo4j"]["healthcheck"]["test"])
    api = services["api"]
    assert api["build"]["dockerfile"] == "Dockerfile"
    assert api["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                 "neo4j": {"condition": "service_healthy"}}
    url = api["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    assert api["environment"]["NEO4J_URI"] == "neo4j://neo4j:7687"
    for svc in ("postgres", "neo4j"):
        volume = services[svc]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]


def test_dockerfile_steps():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("# ") and "FROM python:3.11-slim" in text
    assert "pip install ." in text
    order = [text.index(s) for s in ("etl migrate", "etl run --mode complete", "graphsvc serve --host 0.0.0.0")]
    assert order == sorted(order)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored and "README.md" not in ignored


def test_env_example_documents_every_setting():
    text = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        names = [f"GRAPHSVC_{name.upper()}"]
        alias = field.validation_alias
        if alias is not None:
            names += [str(c) for c in alias.choices]
        assert any(re.search(rf"^#? ?{re.escape(n)}=", text, re.M) for n in names), f"{name} missing in .env.example"
