"""Feature tables (``features:<table>`` observations: Spotify tables, GiantSteps expert keys, Beatport
audio features...); the kind of table (``observation.kind``) sets the confidence of each value."""

from etl.enrichment.providers.observed import ObservationProvider


class FeaturesProvider(ObservationProvider):
    name = "features"
    source = "features:"
    default_kind = "generic"
    fields = frozenset({"bpm", "key", "energy", "genres"})
