"""Deterministic 63-bit ids from natural keys, so rebuilding from the same bronze gives the same ids."""

from __future__ import annotations

import hashlib


def stable_id(kind: str, key: str) -> int:
    """A positive BIGINT derived from ``kind`` and a natural ``key`` (blake2b, 63 bits)."""
    digest = hashlib.blake2b(f"{kind}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF
