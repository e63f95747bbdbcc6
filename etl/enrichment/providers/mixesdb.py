"""MixesDB tracklist entries: ``Artist - Title [Label - Cat#]`` gives label (catalog number in the detail)
and, when the entry carries one, the release year (``extra.year``)."""

from etl.enrichment.providers.observed import ObservationProvider


class MixesdbProvider(ObservationProvider):
    name = "mixesdb"
    source = "mixesdb"
    fields = frozenset({"label", "release_year"})
