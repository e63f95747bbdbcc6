"""Base of the online providers: lazily created :class:`HttpClient`, disabled unless configured."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from rapidfuzz import fuzz

from etl.enrichment.http import HttpClient, HttpResult
from etl.enrichment.providers import LookupContext, ProviderError, ProviderValue, TrackInput
from graphsvc.names import name_key, title_key

if TYPE_CHECKING:
    from graphsvc.settings import Settings


class OnlineProvider:
    name: ClassVar[str]
    fields: ClassVar[frozenset[str]]
    online: ClassVar[bool] = True

    def __init__(self, client: HttpClient | None) -> None:
        self.client = client  # None: not configured

    @classmethod
    def from_settings(cls, s: Settings) -> Self:
        """The provider as the settings configure it (disabled without its key or switch)."""
        raise NotImplementedError

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        raise NotImplementedError

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def _get(self, ctx: LookupContext, path: str, params: dict[str, Any]) -> HttpResult | None:
        """JSON of a 2xx response; None for 404; ProviderError for anything else."""
        if self.client is None:
            raise ProviderError("provider disabled")
        res = self.client.get(ctx.conn, path, params, refetch=ctx.refetch)
        if res.status_code == 404:
            return None
        if not 200 <= res.status_code < 300:
            raise ProviderError(f"HTTP {res.status_code}")
        if not isinstance(res.json, (dict, list)):
            raise ProviderError(f"HTTP {res.status_code} without a JSON body")
        return res

    @staticmethod
    def _value(value: Any, confidence: float, fetched_at: datetime | None, detail: dict) -> ProviderValue:
        return ProviderValue(value, round(confidence, 4), fetched_at, detail)


def similarity(a: str, b: str, *, names: bool = True) -> float:
    """0..1 similarity of two names (or titles) after normalization."""
    key = name_key if names else title_key
    return fuzz.token_set_ratio(key(a), key(b)) / 100.0


def no_data(detail: dict) -> ProviderValue:
    return ProviderValue(None, 0.0, None, detail)


def year_of(date: Any) -> int | None:
    if not date:
        return None
    s = str(date)[:4]
    return int(s) if s.isdigit() and s != "0000" else None


__all__ = ["OnlineProvider", "similarity", "no_data", "year_of"]
