"""Confidence of each (provider, field) pair, in ONE table: the ceilings of the ONLINE providers, which
their match score (0..1) scales (``CONFIDENCE[p, f] * score``), and the figures offline providers used
before confidences were configured per kind of source. Offline providers now read
``enrichment.source_confidence`` (migration 016, measured by ``scripts/source_agreement.py``) through the
run's config snapshot; this table is their fallback for runs whose snapshot predates it, so such runs
replay as they ran.

The ('features', 'key') confidence is MEASURED: feature files carry Beatport keys, and on the GiantSteps
key dataset (604 Beatport EDM previews, expert GLOBAL KEY vs BEATPORT KEY) the Beatport key equals the
expert key for 176 of the 590 tracks that have one: 0.298 (bootstrap 95% CI 0.259-0.336); most misses are
parallel (116), fifth (107) or relative (53) confusions. ``scripts/giantsteps_agreement.py`` prints it; see
docs/evaluation.md. The other key confidences are still educated guesses (rekordbox analyses the audio
itself; Spotify's key detection is less reliable on electronic music).
"""

from __future__ import annotations

CONFIDENCE: dict[tuple[str, str], float] = {
    ("rekordbox", "bpm"): 0.95,
    ("rekordbox", "key"): 0.85,
    ("rekordbox", "label"): 0.7,
    ("rekordbox", "release_year"): 0.7,
    ("rekordbox", "genres"): 0.5,      # user-entered tags, often "Techno" for everything
    ("features", "bpm"): 0.8,
    ("features", "key"): 0.298,      # measured: Beatport vs expert key, GiantSteps (scripts/giantsteps_agreement.py)
    ("features", "energy"): 0.6,
    ("features", "genres"): 0.7,       # Beatport genre of the release
    ("1001tracklists", "bpm"): 0.75,
    ("1001tracklists", "key"): 0.7,
    ("1001tracklists", "energy"): 0.7,
    ("1001tracklists", "genres"): 0.65,
    ("mixesdb", "label"): 0.6,
    ("mixesdb", "release_year"): 0.6,
    ("musicbrainz", "isrc"): 0.95,
    ("musicbrainz", "release_year"): 0.85,
    ("musicbrainz", "label"): 0.8,
    ("musicbrainz", "genres"): 0.6,
    ("discogs", "genres"): 0.75,
    ("discogs", "label"): 0.75,
    ("discogs", "release_year"): 0.75,
    ("getsongbpm", "bpm"): 0.75,
    ("getsongbpm", "key"): 0.65,
    # fallbacks only (the configured figures are in enrichment.source_confidence)
    ("traktor", "bpm"): 0.95,
    ("traktor", "key"): 0.85,
    ("traktor", "label"): 0.7,
    ("traktor", "release_year"): 0.7,
    ("traktor", "genres"): 0.5,
    ("mixxx", "bpm"): 0.9,
    ("mixxx", "key"): 0.8,
    ("mixxx", "release_year"): 0.7,
    ("mixxx", "genres"): 0.5,
    ("virtualdj", "bpm"): 0.9,
    ("virtualdj", "key"): 0.8,
    ("virtualdj", "label"): 0.7,
    ("virtualdj", "release_year"): 0.7,
    ("virtualdj", "genres"): 0.5,
}


def confidence(provider: str, field: str) -> float:
    return CONFIDENCE[(provider, field)]
