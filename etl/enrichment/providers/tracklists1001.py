"""1001Tracklists rows joined with historical Spotify audio features (key/mode, tempo, energy, genres)."""

from etl.enrichment.providers.observed import ObservationProvider


class TracklistsProvider(ObservationProvider):
    name = "1001tracklists"
    source = "1001tracklists"
    fields = frozenset({"bpm", "key", "energy", "genres"})
