"""Confidence of each (provider, field) pair, in ONE table.

Offline providers use these values as they are. Online providers use them as the ceiling that their
match score (0..1) scales: ``CONFIDENCE[p, f] * score``.

The key confidences are educated guesses for now (rekordbox analyses the audio itself; Beatport preview
analysis and Spotify's key detection are less reliable on electronic music); issue 5 replaces them with
the measured agreement against the GiantSteps key dataset.
"""

from __future__ import annotations

CONFIDENCE: dict[tuple[str, str], float] = {
    ("rekordbox", "bpm"): 0.95,
    ("rekordbox", "key"): 0.85,
    ("rekordbox", "label"): 0.7,
    ("rekordbox", "release_year"): 0.7,
    ("rekordbox", "genres"): 0.5,      # user-entered tags, often "Techno" for everything
    ("features", "bpm"): 0.8,
    ("features", "key"): 0.75,
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
}


def confidence(provider: str, field: str) -> float:
    return CONFIDENCE[(provider, field)]
