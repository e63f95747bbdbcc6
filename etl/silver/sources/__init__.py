"""One module per bronze source, each a :class:`~etl.silver.sources.base.SilverSource`.

``STAGES`` is the processing order of (source, record_type): library tracks before the playlists that
reference them, tracks before the feature rows that are matched against them.
"""

from __future__ import annotations

from etl.silver.sources.base import SilverSource
from etl.silver.sources.features import FeaturesSource
from etl.silver.sources.mixesdb import MixesdbSource
from etl.silver.sources.rekordbox import RekordboxSource
from etl.silver.sources.tracklists1001 import TracklistsSource

SOURCES: tuple[type[SilverSource], ...] = (RekordboxSource, MixesdbSource, TracklistsSource, FeaturesSource)

STAGES: tuple[tuple[str, str], ...] = (
    ("rekordbox", "library_track"),
    ("mixesdb", "mix"),
    ("1001tracklists", "tracklist_row"),
    ("rekordbox", "library_playlist"),
    ("features", "feature_row"),
)

__all__ = ["SOURCES", "STAGES", "SilverSource"]
