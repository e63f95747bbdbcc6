"""One module per bronze source, each a :class:`~etl.silver.sources.base.SilverSource`.

``STAGES`` is the processing order of (source, record_type): library tracks before the playlists that
reference them, tracks before the feature rows that are matched against them.
"""

from __future__ import annotations

from etl.silver.sources.base import SilverSource
from etl.silver.sources.features import FeaturesSource
from etl.silver.sources.mixesdb import MixesdbSource
from etl.silver.sources.mixxx import MixxxSource
from etl.silver.sources.rekordbox import RekordboxSource
from etl.silver.sources.tracklists1001 import TracklistsSource
from etl.silver.sources.traktor import TraktorSource
from etl.silver.sources.virtualdj import VirtualdjSource

SOURCES: tuple[type[SilverSource], ...] = (
    RekordboxSource, TraktorSource, MixxxSource, VirtualdjSource, MixesdbSource, TracklistsSource, FeaturesSource,
)

LIBRARY_SOURCES = ("rekordbox", "traktor", "mixxx", "virtualdj")

STAGES: tuple[tuple[str, str], ...] = (
    *((s, "library_track") for s in LIBRARY_SOURCES),
    ("mixesdb", "mix"),
    ("1001tracklists", "tracklist_row"),
    *((s, "library_playlist") for s in LIBRARY_SOURCES if s != "virtualdj"),
    ("features", "feature_row"),
)

__all__ = ["LIBRARY_SOURCES", "SOURCES", "STAGES", "SilverSource"]
