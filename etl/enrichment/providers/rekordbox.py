"""DJ libraries (rekordbox, Traktor, Mixxx, VirtualDJ): the programs analyse the audio themselves, so their
BPM and key rank high; label, year and genres are the user's tags."""

from etl.enrichment.providers.observed import ObservationProvider


class RekordboxProvider(ObservationProvider):
    name = "rekordbox"
    source = "rekordbox"
    fields = frozenset({"bpm", "key", "label", "release_year", "genres"})


class TraktorProvider(ObservationProvider):
    name = "traktor"
    source = "traktor"
    fields = frozenset({"bpm", "key", "label", "release_year", "genres"})


class MixxxProvider(ObservationProvider):
    name = "mixxx"
    source = "mixxx"
    fields = frozenset({"bpm", "key", "release_year", "genres"})


class VirtualdjProvider(ObservationProvider):
    name = "virtualdj"
    source = "virtualdj"
    fields = frozenset({"bpm", "key", "label", "release_year", "genres"})
