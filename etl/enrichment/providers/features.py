"""Feature files (``features:<file stem>`` observations, e.g. Beatport 2021 with preview-analysis BPM/key)."""

from etl.enrichment.providers.observed import ObservationProvider


class FeaturesProvider(ObservationProvider):
    name = "features"
    source = "features:"
    fields = frozenset({"bpm", "key", "energy", "genres"})
