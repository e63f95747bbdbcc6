"""Artist and track identity: every spelling met resolves to one silver artist / track.

Both resolvers load what silver already knows once, resolve in memory, and hand back the rows that are
new since the last :meth:`drain`, so the silver builder can write them with ``COPY`` in the same
transaction as the rows that reference them. Ids are :func:`graphsvc.ids.stable_id` of the natural key,
so the same bronze always yields the same ids.

Artist matching strategy, recorded per alias:

``canonical``   the first spelling of a new artist;
``normalized``  same :func:`graphsvc.names.name_key` as a known artist (case, accents, punctuation,
                leading "The": ``The Chemical Brothers`` = ``Chemical Brothers``, ``Âme`` = ``Ame``);
``fuzzy:ratio>=94``  a near-identical key (rapidfuzz ``fuzz.ratio``) among known artists sharing the
                first two characters; only for keys of 6+ characters, because short names differ by a
                letter and are still different artists (``Sasha`` / ``Sash``). Candidates are blocked by
                those two characters and by length: a ratio of 94 needs lengths within 12.8% of each
                other, so only those blocks are scanned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

import psycopg
from rapidfuzz import fuzz, process

from graphsvc.ids import stable_id
from graphsvc.names import display_name, name_key, title_key, version_key

FUZZY_THRESHOLD = 94.0
FUZZY_MIN_LEN = 6
FUZZY_STRATEGY = f"fuzzy:ratio>={FUZZY_THRESHOLD:g}"


class ArtistResolver:
    def __init__(self) -> None:
        self.by_alias: dict[str, int] = {}
        self.by_key: dict[str, int] = {}
        self.blocks: dict[tuple[str, int], list[str]] = defaultdict(list)
        self.new_artists: list[tuple] = []
        self.new_aliases: list[tuple] = []

    @classmethod
    def load(cls, conn: psycopg.Connection) -> ArtistResolver:
        r = cls()
        for artist_id, key in conn.execute("SELECT artist_id, name_key FROM silver.artist"):
            r._add_key(key, artist_id)
        for alias, artist_id in conn.execute("SELECT alias, artist_id FROM silver.artist_alias"):
            r.by_alias[alias] = artist_id
        return r

    def _add_key(self, key: str, artist_id: int) -> None:
        self.by_key[key] = artist_id
        if len(key) >= FUZZY_MIN_LEN:
            self.blocks[(key[:2], len(key))].append(key)

    def _fuzzy_candidates(self, key: str) -> list[str]:
        n = len(key)
        # ratio = 2 * matches / (n + m) >= t  implies  |n - m| <= n * (200 / t - 2)
        spread = int(n * (200.0 / FUZZY_THRESHOLD - 2.0))
        out: list[str] = []
        for m in range(n - spread, n + spread + 1):
            block = self.blocks.get((key[:2], m))
            if block:
                out.extend(block)
        return out

    def resolve(self, name: str, record_id: int) -> int | None:
        """The artist id of a spelling; None when the name has no letters or digits."""
        found = self.by_alias.get(name)
        if found is not None:
            return found
        display = display_name(name)
        key = name_key(display)
        if not key:
            return None
        artist_id = self.by_key.get(key)
        strategy, score = "normalized", 100.0
        if artist_id is None and len(key) >= FUZZY_MIN_LEN:
            block = self._fuzzy_candidates(key)
            if block:
                hit = process.extractOne(key, block, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
                if hit is not None:
                    artist_id = self.by_key[hit[0]]
                    strategy, score = FUZZY_STRATEGY, float(hit[1])
        if artist_id is None:
            artist_id = stable_id("artist", key)
            self._add_key(key, artist_id)
            self.new_artists.append((artist_id, display, key, record_id))
            strategy = "canonical"
        self.by_alias[name] = artist_id
        self.new_aliases.append((name, key, artist_id, strategy, score))
        return artist_id

    def find(self, name: str) -> int | None:
        """The KNOWN artist of a spelling (alias, normalized key, then the fuzzy rule), creating nothing."""
        found = self.by_alias.get(name)
        if found is not None:
            return found
        key = name_key(display_name(name))
        if not key:
            return None
        found = self.by_key.get(key)
        if found is None and len(key) >= FUZZY_MIN_LEN:
            block = self._fuzzy_candidates(key)
            if block:
                hit = process.extractOne(key, block, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
                if hit is not None:
                    found = self.by_key[hit[0]]
        return found

    def drain(self) -> tuple[list[tuple], list[tuple]]:
        out = (self.new_artists, self.new_aliases)
        self.new_artists, self.new_aliases = [], []
        return out


#: track_key prefix of a DJ-library track that names no artist anywhere: a track of that library alone
#: (``SilverBuilder.library_only_track``), the only tracks silver holds without a primary artist
LIBRARY_ONLY_PREFIX = "library|"


def track_key(primary_artist_ids: list[int], title: str, version: str | None) -> str:
    """Natural key of a track: its primary artists (order-free), title and version."""
    if len(primary_artist_ids) == 1:  # the common case
        artists = str(primary_artist_ids[0])
    else:
        artists = ",".join(map(str, sorted(set(primary_artist_ids))))
    return f"{artists}|{title_key(title)}|{version_key(version)}"


# words of a version that name an edit of the same recording, not another recording: "Extended Mix",
# "Radio Edit", "Club Mix", "2009 Remaster", "12" Version", "Album Version", "Clean"... (digits too)
EDIT_WORDS = frozenset(
    "original extended radio club edit edited mix version remaster remastered album single short long main "
    "clean explicit dirty inch mono stereo cut full length".split()
)
_REMIX_WORDS = frozenset({"remix", "rmx", "remixed"})


@lru_cache(maxsize=65_536)
def version_core(version: str | None) -> str:
    """What identifies the recording in a version: the version key without edit words. ``Extended Mix``,
    ``Radio Edit`` and no version give ``""``; ``Dixon Remix`` and ``Dixon Remix (Radio Edit)`` give
    ``dixon``; a bare ``Remix`` stays ``remix``; ``Dub``, ``Live``, ``VIP``, ``Instrumental`` stay."""
    words = [w for w in version_key(version).split() if w not in EDIT_WORDS and not w.isdigit()]
    named = [w for w in words if w not in _REMIX_WORDS]
    return " ".join(named if named else words)


def recording_key(primary_artist_ids: list[int], title: str, version: str | None) -> str:
    """The recording a track is an edit of (see ``silver.track.recording_key``, migration 016)."""
    if len(primary_artist_ids) == 1:  # the common case
        artists = str(primary_artist_ids[0])
    else:
        artists = ",".join(map(str, sorted(set(primary_artist_ids))))
    return f"{artists}|{title_key(title)}|{version_core(version)}"


class TrackResolver:
    """Resolves a track by external identifier first (YouTube, Beatport, Spotify, ISRC), then by key.

    A spelling that reaches an existing track only through an identifier is kept as an alias key, so
    the next entry written that way finds the same track without the identifier.
    """

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        self.by_ident: dict[tuple[str, str], int] = {}
        self.new_tracks: list = []  # whatever make_row returned, in creation order
        self.new_aliases: list[tuple] = []
        self.new_idents: list[tuple] = []
        self.created: set[int] = set()  # tracks created by this resolver (still flagged for enrichment)

    @classmethod
    def load(cls, conn: psycopg.Connection) -> TrackResolver:
        r = cls()
        r.by_key.update(conn.execute("SELECT track_key, track_id FROM silver.track").fetchall())
        r.by_key.update(conn.execute("SELECT alias_key, track_id FROM silver.track_alias").fetchall())
        for scheme, value, track_id in conn.execute("SELECT scheme, value, track_id FROM silver.track_identifier"):
            r.by_ident[(scheme, value)] = track_id
        return r

    def find(self, key: str, identifiers: Sequence[tuple[str, str]] = ()) -> int | None:
        for ident in identifiers:
            found = self.by_ident.get(ident)
            if found is not None:
                return found
        return self.by_key.get(key)

    def resolve(self, key: str, identifiers: list[tuple[str, str]], make_row) -> tuple[int, bool]:
        """Return (track_id, created). ``make_row(track_id)`` builds the new track's rows when needed."""
        track_id = None
        via = None
        for ident in identifiers:
            track_id = self.by_ident.get(ident)
            if track_id is not None:
                via = ident[0]
                break
        created = False
        if track_id is None:
            track_id = self.by_key.get(key)
            if track_id is not None and not identifiers:  # the common repeat: known key, nothing to record
                return track_id, False
        if track_id is None:
            track_id = stable_id("track", key)
            self.by_key[key] = track_id
            self.new_tracks.append(make_row(track_id))
            self.created.add(track_id)
            created = True
        elif key not in self.by_key:
            self.by_key[key] = track_id
            self.new_aliases.append((key, track_id, f"identifier:{via}"))
        for ident in identifiers:
            if ident not in self.by_ident:
                self.by_ident[ident] = track_id
                self.new_idents.append((ident[0], ident[1], track_id))
        return track_id, created

    def drain(self) -> tuple[list, list[tuple], list[tuple]]:
        out = (self.new_tracks, self.new_aliases, self.new_idents)
        self.new_tracks, self.new_aliases, self.new_idents = [], [], []
        return out
