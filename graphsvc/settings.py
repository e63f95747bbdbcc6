"""Settings from the environment (prefix ``GRAPHSVC_``), behind a cached getter.

A few well-known names are accepted without the prefix because every tool uses them:
``DATABASE_URL``, ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("graphsvc", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRAPHSVC_", env_file=None, extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the embedded Postgres keeps its data")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("GRAPHSVC_DATABASE_URL", "DATABASE_URL"),
        description="Postgres URL; when unset an embedded PostgreSQL is started under data_dir",
    )
    database_name: str = Field(default="graphsvc", description="Database created inside the embedded server")

    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("GRAPHSVC_NEO4J_URI", "NEO4J_URI"),
        description="neo4j:// URI; when unset the embedded networkx graph store is used",
    )
    neo4j_user: str | None = Field(default=None, validation_alias=AliasChoices("GRAPHSVC_NEO4J_USER", "NEO4J_USER"))
    neo4j_password: str | None = Field(
        default=None, validation_alias=AliasChoices("GRAPHSVC_NEO4J_PASSWORD", "NEO4J_PASSWORD")
    )
    neo4j_database: str = Field(
        default="neo4j", validation_alias=AliasChoices("GRAPHSVC_NEO4J_DATABASE", "NEO4J_DATABASE")
    )

    # online providers: disabled unless configured
    musicbrainz_enabled: bool = False
    musicbrainz_user_agent: str = "graphsvc/0.1 ( https://github.com/graphsvc/graphsvc )"
    musicbrainz_base_url: str = "https://musicbrainz.org/ws/2"
    discogs_token: str | None = None
    discogs_base_url: str = "https://api.discogs.com"
    getsongbpm_api_key: str | None = None
    getsongbpm_base_url: str = "https://api.getsong.co"
    http_timeout_s: float = 10.0

    etl_chunk_records: int = Field(default=500, description="Bronze records per silver transaction")
    etl_parse_workers: int = Field(
        default=2, ge=0, le=32,
        description="Processes parsing tracklist entries beside the silver build (capped by the CPU count; 0: none)",
    )

    api_key: str | None = Field(default=None, description="Key for admin endpoints (X-API-Key)")

    # HTTP API (graphsvc serve)
    api_host: str = Field(default="127.0.0.1", description="Interface `graphsvc serve` binds to")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port `graphsvc serve` listens on")
    api_workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes (each loads the graph)")
    db_pool_min: int = Field(default=1, ge=0, description="Postgres connections the API pool keeps open")
    db_pool_max: int = Field(default=8, ge=1, description="Most Postgres connections the API pool opens")
    graph_timeout_s: float = Field(default=5.0, gt=0, description="A graph query running longer answers 504")
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After (seconds) sent with 503 answers")
    graph_refresh_s: float = Field(
        default=30.0, ge=0, description="Embedded graph: reload from gold when it changed, checked this often (0: off)"
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (JSON list)")
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body the API reads (413 above it)")
    max_admin_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024,
        description="Largest body of the admin routes under /v1/pipeline/ (a replay of 100,000 track ids)")
    db_timeout_s: float = Field(
        default=3.0, ge=0.5, le=120,
        description="API requests: longest wait for a Postgres connection or answer (503 with Retry-After after)")
    metrics_refresh_s: float = Field(
        default=15.0, ge=1, description="How often /metrics' pipeline figures are read from Postgres")

    # inputs and the demo
    input_max_mb: int = Field(
        default=256, ge=1, description="Largest input file, decompressed, an importer reads (MiB)")
    demo_database_name: str = Field(
        default="graphsvc_demo", min_length=1, max_length=63,
        description="Database `graphsvc demo` creates for itself (never the main one)")

    # `graphsvc schedule`: cron expressions (UTC) of the three pipeline jobs, and the bronze job's inputs
    schedule_bronze: str = Field(default="0 2 * * *", description="Cron (UTC) of the bronze ingest job")
    schedule_silver: str = Field(default="30 2 * * *", description="Cron (UTC) of the silver job")
    schedule_gold: str = Field(default="0 3 * * *", description="Cron (UTC) of the gold + graph job")
    input_mixesdb: str = Field(default="", description="Space-separated MixesDB files the bronze job ingests")
    input_1001tracklists: str = Field(default="", description="Space-separated 1001Tracklists CSV files")
    input_rekordbox: str = Field(default="", description="Space-separated rekordbox XML files")
    input_features: str = Field(default="", description="Space-separated feature CSV files")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
