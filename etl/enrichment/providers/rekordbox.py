"""rekordbox library exports: rekordbox analyses the audio itself, so its BPM and key rank high."""

from etl.enrichment.providers.observed import ObservationProvider


class RekordboxProvider(ObservationProvider):
    name = "rekordbox"
    source = "rekordbox"
    fields = frozenset({"bpm", "key", "label", "release_year", "genres"})
