"""Shared HTTP client of the online providers: httpx + rate limit + retries + the bronze response cache.

- Every response (status, body) is appended to ``bronze.provider_response``. Secrets (``token``,
  ``api_key``, ...) never reach the stored ``request_key`` / ``request_url``.
- Before calling the network the latest stored *usable* response (2xx or 404) for
  (provider, request_key) is returned instead, so re-runs and replays never refetch
  (unless ``refetch=True``). Stored 429/5xx responses are kept for audit but never reused.
- Requests are spaced by a :class:`RateLimiter` (MusicBrainz allows 1 request/s); 429, 5xx, timeouts
  and connection errors are retried with exponential backoff (stamina), then reported as
  ``ProviderError('HTTP 503 after 3 tries')``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg
import stamina
from psycopg.types.json import Jsonb

from etl.enrichment.providers import ProviderError
from graphsvc.pg import fetch_one

SECRET_PARAMS = frozenset({"token", "api_key", "apikey", "key", "secret", "access_token"})
USABLE_STATUS_SQL = "(status_code BETWEEN 200 AND 299 OR status_code = 404)"


class RateLimiter:
    """At most one request per ``min_interval_s``; clock and sleep are injectable for tests."""

    def __init__(self, min_interval_s: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            wait = self._next - now
            if wait > 0:
                self._sleep(wait)
                now = self._next
            self._next = now + self.min_interval_s


@dataclass(frozen=True)
class HttpResult:
    status_code: int
    json: Any            # parsed body, or None when not JSON
    text: str | None     # body when not JSON
    fetched_at: datetime
    request_key: str
    from_cache: bool


class _Retryable(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


def request_key(method: str, path: str, params: Mapping[str, Any]) -> str:
    """Canonical request: method, path and sorted params, secrets removed."""
    public = sorted((k, str(v)) for k, v in params.items() if k.lower() not in SECRET_PARAMS)
    return f"{method.upper()} {path}" + (f"?{urlencode(public)}" if public else "")


class HttpClient:
    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        user_agent: str,
        timeout_s: float,
        min_interval_s: float = 1.0,
        attempts: int = 3,
        headers: Mapping[str, str] | None = None,
        secret_params: Mapping[str, str] | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.limiter = limiter or RateLimiter(min_interval_s)
        self._secret_params = dict(secret_params or {})
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": "application/json", **(headers or {})},
            timeout=timeout_s,
            transport=transport,
            follow_redirects=True,
        )
        self.network_requests = 0

    def close(self) -> None:
        self._client.close()

    def get(self, conn: psycopg.Connection, path: str, params: Mapping[str, Any], *,
            refetch: bool = False) -> HttpResult:
        key = request_key("GET", path, params)
        if not refetch:
            cached = self._cached(conn, key)
            if cached is not None:
                return cached
        public_query = key.split("?", 1)[1] if "?" in key else ""
        public_url = f"{self.base_url}{path}" + (f"?{public_query}" if public_query else "")
        all_params = {**{k: str(v) for k, v in params.items()}, **self._secret_params}
        tries = 0
        try:
            for attempt in stamina.retry_context(
                on=(_Retryable, httpx.TransportError), attempts=self.attempts, wait_initial=1.0, wait_max=30.0
            ):
                with attempt:
                    tries += 1
                    self.limiter.acquire()
                    self.network_requests += 1
                    resp = self._client.get(f"{self.base_url}{path}", params=all_params)
                    result = self._store(conn, key, public_url, resp)
                    if resp.status_code == 429 or resp.status_code >= 500:
                        raise _Retryable(resp.status_code, f"HTTP {resp.status_code}")
                    return result
        except _Retryable as e:
            raise ProviderError(f"HTTP {e.status} after {tries} tries") from e
        except httpx.TransportError as e:
            raise ProviderError(f"{type(e).__name__} after {tries} tries: {_scrub(str(e), self._secret_params)}") from e
        raise AssertionError("unreachable")  # pragma: no cover

    def _cached(self, conn: psycopg.Connection, key: str) -> HttpResult | None:
        row = conn.execute(
            "SELECT status_code, response, response_text, fetched_at FROM bronze.provider_response"
            f" WHERE provider = %s AND request_key = %s AND {USABLE_STATUS_SQL}"
            " ORDER BY fetched_at DESC, response_id DESC LIMIT 1",
            (self.provider, key),
        ).fetchone()
        if row is None:
            return None
        return HttpResult(row[0], row[1], row[2], row[3], key, True)

    def _store(self, conn: psycopg.Connection, key: str, public_url: str, resp: httpx.Response) -> HttpResult:
        body_json: Any = None
        body_text: str | None = None
        try:
            body_json = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body_text = _scrub(resp.text, self._secret_params)
        canonical = json.dumps(body_json, sort_keys=True) if body_json is not None else (body_text or "")
        content_hash = hashlib.sha256(f"{resp.status_code}\n{canonical}".encode()).hexdigest()
        row = conn.execute(
            "INSERT INTO bronze.provider_response (provider, request_key, request_url, status_code, response,"
            " response_text, content_hash) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (provider, request_key, content_hash) DO NOTHING RETURNING fetched_at",
            (self.provider, key, public_url, resp.status_code,
             Jsonb(body_json) if body_json is not None else None, body_text, content_hash),
        ).fetchone()
        fetched_at = row[0] if row else fetch_one(conn.execute("SELECT now()"))[0]
        return HttpResult(resp.status_code, body_json, body_text, fetched_at, key, False)


def _scrub(text: str, secrets: Mapping[str, str]) -> str:
    for value in secrets.values():
        if value:
            text = text.replace(value, "***")
    return text
