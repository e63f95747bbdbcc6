"""The interface every silver source implements.

A source turns the bronze records of ONE input format (a MixesDB mix, a 1001Tracklists row, a
rekordbox TRACK, a feature-table row...) into silver rows. It never writes to the database itself: it
hands rows to the builder's shared pieces (:class:`etl.silver.builder.SilverBuilder`: ``track_for``,
``observation``, ``reject``, ``new_set``, ``processed`` ...), which buffer them per chunk and write
each chunk in one transaction together with the records' processed marks.

The builder drives the sources stage by stage in the order of :data:`etl.silver.sources.STAGES`
(library tracks before the playlists that reference them, tracks before the feature rows matched
against them). For every stage with work it asks the source for its chunks, calls :meth:`process` on
every item of a chunk, and flushes the chunk; :meth:`end_stage` runs after the stage's last chunk and
:meth:`finish` after everything was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from etl.silver.builder import SilverBuilder


class SilverSource:
    """One bronze source (``source``) and the record types it turns into silver."""

    source: ClassVar[str]
    record_types: ClassVar[tuple[str, ...]]
    # its items are tracklist entries parsed with the corpus credit splitter (``SilverBuilder.parse``):
    # when it has work, the builder builds the splitter from the whole bronze corpus first
    parses_tracklists: ClassVar[bool] = False

    def __init__(self, builder: SilverBuilder) -> None:
        self.b = builder

    def prepare(self, pending: dict[tuple[str, str], list[int]]) -> None:
        """Called once before any stage, with every unprocessed record id per (source, record_type)."""

    def has_work(self, record_type: str, ids: list[int]) -> bool:
        """Whether the stage runs; by default when it has unprocessed records."""
        return bool(ids)

    def needs_corpus(self, pending: dict[tuple[str, str], list[int]]) -> bool:
        """Whether this run must build the corpus credit splitter for this source."""
        return self.parses_tracklists and any(pending.get((self.source, t)) for t in self.record_types)

    def chunks(self, record_type: str, ids: list[int]) -> Iterator[list[dict]]:
        """The stage's records in chunks; each chunk is written in one transaction."""
        return self.b.fixed_chunks(ids)

    def texts_to_parse(self, chunk: list[dict]) -> list[str] | None:
        """Entry texts of a chunk the parse pool may parse ahead (None: this source does not use it)."""
        return None

    def process(self, record_type: str, item: dict) -> None:
        raise NotImplementedError

    def end_stage(self, record_type: str) -> None:
        """After the stage's last chunk was processed (its rows may still be buffered)."""

    def finish(self) -> None:
        """After every stage's rows were written (the writer drained)."""

    def needs_finish(self) -> bool:
        """Whether :meth:`finish` has work even in a run with no records to process."""
        return False
