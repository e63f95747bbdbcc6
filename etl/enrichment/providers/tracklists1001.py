"""1001Tracklists rows joined with historical Spotify audio features (key/mode, tempo, energy, genres)."""

from etl.enrichment.providers.observed import ObservationProvider


class TracklistsProvider(ObservationProvider):
    name = "1001tracklists"
    source = "1001tracklists"
    default_kind = "spotify"  # the values of 1001Tracklists exports are Spotify's audio features
    fields = frozenset({"bpm", "key", "energy", "genres"})
