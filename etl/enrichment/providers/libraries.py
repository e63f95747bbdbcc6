"""The other DJ programs' libraries (Traktor, Mixxx, VirtualDJ): each analyses the audio itself; how often
its key and BPM are right was measured per program (enrichment.source_confidence, migration 016)."""

from etl.enrichment.providers.observed import ObservationProvider


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
