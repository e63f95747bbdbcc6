"""What every DJ-library source shares (rekordbox, Traktor, Mixxx, VirtualDJ): who a library track is,
its values, and playlists as sets.

**Who a track is.** Real libraries are messy: the Artist tag is often empty and "Artist - Title" sits in
the title (``INFEKT - Rewind``, ``AREA21-We Did It www.my-free-mp3.net``) or only in the file name
(``.../TLC - No Scrubs (WeMaster Clean Single).mp4``). A DJ calls every one of those a track, so the
artist and title are read, in this order, from

``tag``              the Artist and Title tags (the title may still carry a version: ``Title - Radio Edit``);
``name``             the title when the Artist tag is empty, read as "Artist - Title" by the tracklist parser
                     after removing download-site junk (``www.my-free-mp3.net``, ``[vk.com/x]``,
                     ``Telegram @X -``), a leading track number (``19. ``, ``(18) ``, ``01 ``) and a
                     truncated trailing parenthesis;
``soundcloud_name``  a SoundCloud download name ``Title_123456789 - Uploader``: the title part read as
                     "Artist - Title", else the uploader as the artist;
``file_name``        the file name of the track's location (URL-decoded, extension removed, underscores
                     read as spaces), cleaned and read the same way.

The strategy is the observation's ``match_strategy`` (``library:tag``...): a value reached through a
name or a file name carries the confidence of that strategy (``enrichment.source_confidence`` kind
``match``, measured on the libraries whose tracks have both a tag and a file name).

``title_only``       none of them names an artist, but there is a title (``Sing It Back (Mousse T's Feel
                     Love mix)``, a DJ's own ``Rock U (Strobelight Mashup)``): the DJ owns and plays it, so
                     it lands as a track of that library alone (``SilverBuilder.library_only_track``: no
                     credits, known by the program's id and its file, never matched to another source by
                     its title), with its key and BPM, in its playlists and in exported sets.

Only a file that is no released track (a recording named by its date and time, a sample or a loop) or
has no word to call it by is rejected, with what was tried.

**Identity.** A track is known by its program's own id scoped to the library (``rekordbox``
``LIB:TrackID``, ``traktor`` ``LIB:<volume/dir/file>``, ``mixxx`` ``LIB:<id>``, ``virtualdj``
``LIB:<FilePath>``) and by its file (``file``: the path in one form for every program, so the same file
in a rekordbox and a Traktor library is one track), then by its track key like any tracklist entry.

**Values.** BPM and key go through the shared validation; a key may come as a name (``Fm``, ``B♭``,
``e`` = E minor), Camelot (``4A``), Open Key (``1m``) or an enharmonic pair (``D♯m/E♭m``); two
different keys (``d/a``) is an invalid value, ``off`` is no key.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, ClassVar, TypeGuard
from urllib.parse import unquote

from etl.silver.helpers import float_or
from etl.silver.sources.base import SilverSource
from etl.tracklist import Credit, EntryParseError, ParsedEntry
from graphsvc.errors import InvalidValue
from graphsvc.harmonic import Key, parse_key
from graphsvc.ids import stable_id
from graphsvc.names import name_key

# ---------------------------------------------------------------------------------------------------
# reading "Artist - Title" out of a title or a file name

_TLDS = ("com|net|org|info|biz|ru|hu|in|fm|me|to|cc|co|io|us|uk|de|pl|tk|ws|su|ua|eu|club|xyz|top|site|online|"
         "mobi|pro|audio|music")
_DOMAIN = re.compile(
    r"\s*[\[(]?\s*(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:" + _TLDS + r")\b(?:/[^\s\])]*)?"
    r"\s*[\])]?", re.IGNORECASE)
_TELEGRAM = re.compile(r"^\s*telegram\s+@\S+\s*[-–]\s*", re.IGNORECASE)
# a YouTube downloader's prefix; such names lost the title's dashes, a run of spaces is left where one was
_DOWNLOADER = re.compile(r"^\s*(?:yt1s|y2mate|ytmp3|savefrom|mp3juices?|flvto|320ytmp3)\.(?:com|cc|net|biz)\s*-\s*",
                         re.IGNORECASE)
# encoder and copy junk: "(128kbit_AAC)", "(MP3_70K)_1", "[1]", "Free Download"
_CODEC_JUNK = re.compile(r"\s*(?:\((?:\d+\s*kbit[_ ]\w+|MP3_\d+K)\)(?:_\d+)?|\[\d\]|\bfree download\b)", re.IGNORECASE)
_SOUNDCLOUD = re.compile(r"^(?P<body>.+?)_(?P<id>\d{6,})(?:\s+-\s+(?P<uploader>.+))?$")
# a leading track number: "19. ", "(18) ", "[03] ", "01 ", "01-", "1 - "
_TRACK_NO = re.compile(r"^\s*(?:\(\d{1,3}\)|\[\d{1,3}\]|\d{1,3}\s*\.(?!\d)|0\d(?=[\s_-])"
                       r"|\d{1,3}\s+-\s+(?=.*\s-\s))\s*[-_]?\s*")
_FILE_TRACK_NO = re.compile(r"^\s*\d{1,2}-(?=[A-Za-z])")  # "1-Radioactive_Man_-_Steve_Chop"
_AUDIO_EXT = re.compile(r"\.(?:mp3|wav|wave|flac|m4a|mp4|aif|aiff|ogg|opus|alac|wma|aac|m4v|mov|avi|mkv)$",
                        re.IGNORECASE)
_BARE_HYPHEN = re.compile(r"(?<=\S)-(?=\S)")
# a CD rip's file name: "01-Artist-Album-Title" (three or four hyphen-separated parts after the number)
_RIP_NAME = re.compile(r"^\d{1,2}-(?P<artist>[^-]+)-(?:[^-]+-)?(?P<title>[^-]+)$")
_VERSION_HINT = re.compile(r"(?i)\b(?:mix|remix|edit|dub|version|rework|bootleg|vip|instrumental|remaster(?:ed)?)\b")
# "Title - Radio Edit", "Title - Remastered 2001", "Title - Live": a version after the title's last dash
_DASH_VERSION = re.compile(
    r"^(?P<title>.*\S)\s+[-–]\s+(?P<version>[^-–()]*\b(?:mix|remix|edit|dub|version|rework|bootleg|vip|instrumental|"
    r"remaster(?:ed)?|live|acoustic|mono|stereo|demo)\b[^-–()]*)$", re.IGNORECASE)


# a key (and energy) written into the title by a key-analysis tool: "Life is Sweet - 2A/10A",
# "Seven Nation Army - 9A - 127,8", "8A - Title"; and a vinyl side: "B1- Ease Back"
_KEY_SUFFIX = re.compile(r"\s+[-–]\s+(?:\d{1,2}[AB]|\d{1,2}[dm])(?:\s*/\s*\d{1,2}[ABdm])*"
                         r"(?:\s*[-–]\s*\d{1,3}(?:[.,]\d+)?)?"
                         r"(?:\s+\d{4}-\d\d-\d\d\b.*)?\s*$")
_KEY_PREFIX = re.compile(r"^\s*(?:\d{1,2}[AB])(?:\s*[-–]\s*\d{1,3})?\s+[-–]\s+")
_VINYL_SIDE = re.compile(r"^\s*[A-D]\d{1,2}\s*[-.]\s+")


def strip_key_notes(title: str) -> str:
    """A title without the key (and energy) a key-analysis tool wrote into it, and without a vinyl side."""
    t = _KEY_SUFFIX.sub("", title)
    t = _KEY_PREFIX.sub("", t)
    return _VINYL_SIDE.sub("", t).strip() or title.strip()


# what a DJ would not call a track: a recording of the DJ's own set named by date and time, a sample
_RECORDING = re.compile(r"^\s*(?:\d{4}-\d\d-\d\d[_ ]\d{1,2}h\d\dm\d\d|AUD-\d{8}-WA\d+|\d{10,}\s*$)")
_SAMPLE = re.compile(r"(?i)\b(?:scratch(?:es)?|sfx|fx|loop|one[- ]?shot|sample|kick|snare|hi-?hat|perc|sweep"
                     r"|drum ?roll)\b")


def title_with_version(title: str) -> str:
    """``Title - Radio Edit`` (Spotify, some tags) as ``Title (Radio Edit)``, so the parser sees the version."""
    m = _DASH_VERSION.match(title)
    return f"{m.group('title')} ({m.group('version').strip()})" if m else title


def clean_name(text: str, *, file_name: bool = False) -> str:
    """A title or file name without download-site junk, track numbers and a cut-off trailing parenthesis."""
    t = text
    if "&" in t and ";" in t:
        t = html.unescape(html.unescape(t))  # "Alle Farben &amp; Janieck", written escaped twice
    if file_name:
        t = _FILE_TRACK_NO.sub("", t)
        if "_" in t and (" " not in t.strip() or "_-_" in t):
            t = t.replace("_", " ")
    t = _TELEGRAM.sub("", t)
    downloaded = _DOWNLOADER.match(t)
    if downloaded:
        t = t[downloaded.end():]
        if " - " not in t:
            t = re.sub(r"\s{2,}", " - ", t.strip(), count=1)
    t = _CODEC_JUNK.sub("", t)
    t = _DOMAIN.sub(" ", t)
    t = _TRACK_NO.sub("", t)
    t = strip_key_notes(" ".join(t.split()))
    # a parenthesis the tag (or the file system) cut off: "Title (Tinush Remix", "Title (Origin"
    opened = t.rfind("(")
    if opened > 0 and t.find(")", opened) < 0:
        rest = t[opened + 1 :]
        keep = _VERSION_HINT.search(rest) and not rest.lower().startswith("origin")
        t = f"{t[:opened]}({rest})" if keep else t[:opened]
    return t.strip(" -_.,")


def file_stem(location: str | None) -> str:
    """The file name of a location, URL-decoded, without its directory and audio extension."""
    if not location:
        return ""
    text = location
    if text.lower().startswith("file://"):
        text = unquote(text[7:])
    name = PureWindowsPath(text).name if "\\" in text else PurePosixPath(text).name
    return _AUDIO_EXT.sub("", name).strip()


def file_path(location: str | None) -> str | None:
    """A track's file as one path form for every program: ``D:/DJ/x.mp3``, ``/Users/me/x.mp3``."""
    if not location:
        return None
    text = location.strip()
    if text.lower().startswith("file://localhost/"):
        text = unquote(text[len("file://localhost/"):])
        if not re.match(r"^[A-Za-z]:/", text):
            text = "/" + text
    elif text.lower().startswith("file:///"):
        text = unquote(text[len("file://"):])
    text = text.replace("\\", "/")
    return text or None


def read_artist_title(text: str, parse, *, file_name: bool = False,
                      known: Callable[[str], bool] | None = None) -> tuple[ParsedEntry, str] | None:
    """``(parse, how)`` of "Artist - Title" in a title or file name, or None. ``parse`` is the builder's
    tracklist parser, ``known`` whether the corpus knows a name as an artist (for names without any
    separator: ``st germain rose rouge``); ``how`` is ``soundcloud`` for a SoundCloud download name,
    else ``plain``."""
    if not text or not text.strip():
        return None
    how = "plain"
    candidates: list[str] = []
    rip = _RIP_NAME.match(text.strip()) if file_name and "_" not in text else None
    if rip:  # "01-Cymande-Cymande-The Message": track number, artist, album, title (a CD rip's file name)
        candidates.append(f"{rip.group('artist').strip()} - {rip.group('title').strip()}")
    sc = _SOUNDCLOUD.match(text.strip())
    if sc:
        how = "soundcloud"
        body = clean_name(sc.group("body"), file_name=file_name)
        candidates.append(body)
        if sc.group("uploader"):
            candidates.append(f"{clean_name(sc.group('uploader'))} - {body}")
    else:
        candidates.append(clean_name(text, file_name=file_name))
    for candidate in candidates:
        p = _parse_named(candidate, parse)
        if p is not None:
            return p, how
    if known is not None:  # no separator at all: after the longest leading run of words the corpus knows
        words = candidates[-1].split() if candidates else []
        for n in range(min(len(words) - 1, 6), 0, -1):
            head = " ".join(words[:n])
            if len(head) >= 4 and known(head):
                p = _parse_named(f"{head} - {' '.join(words[n:])}", parse)
                if p is not None:
                    return p, how
                break
    return None


_PLACEHOLDER_ARTISTS = frozenset({"unknown", "unknown artist", "various", "various artists", "va", "artist",
                                  "no artist", "n a", "none"})


def artist_tag(text: str) -> str:
    """The Artist tag, or "" when it is empty or a placeholder (``Unknown artist``, ``Various Artists``)."""
    t = (text or "").strip()
    return "" if name_key(t) in _PLACEHOLDER_ARTISTS else t


def _parse_named(text: str, parse) -> ParsedEntry | None:
    if not text:
        return None
    attempts = [text]
    if " - " not in text and " – " not in text:
        hyphens = list(_BARE_HYPHEN.finditer(text))
        if len(hyphens) == 1:  # "Alan Walker-Tired": one hyphen, read as the artist-title separator
            m = hyphens[0]
            attempts.append(f"{text[: m.start()].strip()} - {text[m.end():].strip()}")
    for attempt in attempts:
        try:
            p = parse(attempt)
        except EntryParseError:
            continue
        if not usable(p) or not any(ch.isalpha() for ch in p.artist_text or ""):  # "19 - Title": no artist
            continue
        return p
    return None


def usable(p: ParsedEntry | None) -> TypeGuard[ParsedEntry]:
    """A parse that names a track: a title and primary artists, every credit a name with letters or digits."""
    return (p is not None and not p.is_gap and bool(p.title) and any(c.role == "primary" for c in p.credits)
            and all(name_key(c.name) for c in p.credits))


def library_key(value: Any) -> Key | None:
    """A library's key in any notation, None for no key; InvalidValue when it is not one key."""
    if value is None or isinstance(value, Key):
        return value
    text = str(value).strip()
    if not text or text.lower() in {"off", "none", "-", "?", "n/a", "unknown"}:
        return None
    if "/" in text:
        keys = {parse_key(part.strip()) for part in text.split("/") if part.strip()}
        if len(keys) == 1:  # "D♯m/E♭m": one key, two spellings
            return keys.pop()
        raise InvalidValue(f"key {text!r} names {len(keys)} different keys; nothing is guessed")
    return parse_key(text)


# ---------------------------------------------------------------------------------------------------


@dataclass
class LibraryTrack:
    """One library track as a program wrote it, in the form every DJ-library source hands to silver."""

    library: str
    ident: tuple[str, str]               # the program's own id, scoped: ("rekordbox", "LIB:TrackID")
    track_no: str                        # the program's id of the track inside the library (for exports)
    artist: str = ""                     # the Artist tag
    title: str = ""                      # the Title tag (rekordbox: Name)
    version: str = ""                    # a version given apart from the title (rekordbox Mix, VirtualDJ Remix)
    remixer: str = ""
    location: str | None = None          # as the program writes it (rekordbox URL, Traktor primary key...)
    path: str | None = None              # the file, one form for every program (see file_path)
    bpm: Any = None
    key: Any = None                      # text in any notation, or a Key
    genre: str = ""
    label: str = ""
    album: str = ""
    year: Any = None
    duration_s: float | None = None
    rating: int | None = None            # 0..5 stars
    extra: dict = field(default_factory=dict)
    more_idents: list[tuple[str, str]] = field(default_factory=list)
    reject: str | None = None            # why this record is no track of the library (deleted, a sample...)


@dataclass
class LibraryPlaylist:
    library: str
    path: str                            # folders and name, "Warm-up/Opening", unique in the library
    title: str
    entries: list[tuple[str, tuple[str, str] | None]]  # (entry as written, the track identifier it names)
    tags: list[str] = field(default_factory=list)


class LibrarySource(SilverSource):
    """Base of the DJ-library sources: subclasses say how their records read (:meth:`track_of`,
    :meth:`playlist_of`); placing tracks, observations and playlists is shared."""

    record_types: ClassVar[tuple[str, ...]] = ("library_track", "library_playlist")
    program: ClassVar[str]  # "rekordbox", "Traktor", ... (in reject reasons)

    def needs_corpus(self, pending: dict[tuple[str, str], list[int]]) -> bool:
        # names read from titles and file names use what the corpus knows about artists
        return bool(pending.get((self.source, "library_track")))

    def track_of(self, payload: dict) -> LibraryTrack | str:
        """The library track of a bronze record, or why it is none (the reject reason)."""
        raise NotImplementedError

    def playlist_of(self, payload: dict, source_key: str) -> LibraryPlaylist | str:
        raise NotImplementedError

    def resolve_entry(self, ident: tuple[str, str]) -> int | None:
        return self.b.tracks.by_ident.get(ident)

    def process(self, record_type: str, rec: dict) -> None:
        if record_type == "library_track":
            self._track(rec)
        else:
            self._playlist(rec)

    # -- tracks ------------------------------------------------------------------------------------

    def identify(self, t: LibraryTrack) -> tuple[ParsedEntry, str] | None:
        """``(parse, strategy)`` of who the track is (see the module docstring), or None."""
        b = self.b
        title = strip_key_notes(t.title or "")
        if t.version and title and "(" not in title:
            title = f"{title} ({t.version})"
        if artist_tag(t.artist) and title:
            try:
                p = b.parse(f"{t.artist.strip()} - {title_with_version(title)}")
            except EntryParseError:
                p = None
            if usable(p):
                return p, "tag"
        if not artist_tag(t.artist) and title:
            hit = read_artist_title(title, b.parse, known=b.splitter.is_known)
            if hit is not None:
                return hit[0], "soundcloud_name" if hit[1] == "soundcloud" else "name"
        stem = file_stem(t.path or t.location)
        if stem:
            hit = read_artist_title(stem, b.parse, file_name=True, known=b.splitter.is_known)
            if hit is not None:
                return hit[0], "soundcloud_name" if hit[1] == "soundcloud" else "file_name"
        return None

    def _not_a_track(self, t: LibraryTrack) -> str | None:
        """Why a file no tag names is not a released track (a recording, a sample), or None."""
        name = t.title.strip() or file_stem(t.path or t.location)
        if _RECORDING.search(name):
            return f"{self.program} file {name!r} is a recording named by its date and time, not a released track"
        if (t.duration_s is not None and 0 < t.duration_s < 30) or _SAMPLE.search(name):
            length = f" ({t.duration_s:.0f} s long)" if t.duration_s else ""
            return f"{self.program} file {name!r}{length} is a sample or a loop, not a released track"
        return None

    @staticmethod
    def title_only(t: LibraryTrack) -> tuple[str, str | None] | None:
        """(title, version) of a track whose tags, title and file name name no artist: the title (else the
        file name) cleaned like a name, a last parenthesis as the version; None without a word in it."""
        text = clean_name(strip_key_notes(t.title or ""))
        if not any(ch.isalpha() for ch in text):
            text = clean_name(file_stem(t.path or t.location), file_name=True)
        if not any(ch.isalpha() for ch in text):
            return None
        version = t.version.strip() or None
        m = _LAST_PARENS.match(text)
        if m and version is None and any(ch.isalpha() for ch in m.group("title")):
            return m.group("title").strip(), m.group("version").strip() or None
        return text, version

    def _no_artist(self, t: LibraryTrack) -> str:
        not_a_track = self._not_a_track(t)
        if not_a_track is not None:
            return not_a_track
        tried = []
        if artist_tag(t.artist):
            tried.append(f"the tags ({t.artist.strip()!r} / {t.title.strip()!r}) do not parse")
        else:
            tried.append("the Artist tag is empty" if not t.artist.strip()
                         else f"the Artist tag is {t.artist.strip()!r}")
            tried.append(f"the title {t.title.strip()!r} does not read 'Artist - Title'" if t.title.strip()
                         else "the title is empty")
        stem = file_stem(t.path or t.location)
        tried.append(f"nor does the file name {stem!r}" if stem else "and there is no file name")
        return f"{self.program} track without an artist: " + ", ".join(tried)

    def _track(self, rec: dict) -> None:
        b = self.b
        rid = rec["record_id"]
        t = self.track_of(rec["payload"])
        if isinstance(t, str) or t.reject:
            b.reject(rid, -1, t if isinstance(t, str) else str(t.reject), rec["payload"])
            b.processed(rec, "rejected")
            return
        idents = [t.ident, *t.more_idents]
        if t.path:
            idents.append(("file", t.path))
        found = self.identify(t)
        named = self.title_only(t) if found is None and self._not_a_track(t) is None else None
        if found is None and named is None:
            b.reject(rid, -1, self._no_artist(t), rec["payload"])
            b.processed(rec, "rejected")
            return
        if found is None:
            # no artist anywhere, but a title: the DJ owns and plays it, so it is a track of this library
            # alone (never matched to another source by its title), in its playlists and exports
            assert named is not None
            track_id = b.library_only_track(named[0], named[1], rid, idents, t.duration_s)
            strategy = "title_only"
        else:
            p, strategy = found
            if t.remixer.strip() and not any(c.role == "remixer" for c in p.credits):
                from etl.silver.helpers import with_credits

                names = [n for n in b.splitter.split(t.remixer.strip()) if name_key(n)]
                p = with_credits(p, p.credits + tuple(Credit(n, "remixer") for n in names))
            try:
                track_id = b.track_for(p, rid, idents, t.duration_s)
            except EntryParseError as e:
                b.reject(rid, -1, str(e), rec["payload"])
                b.processed(rec, "rejected")
                return
        raw: dict[str, Any] = {"bpm": t.bpm}
        try:
            raw["key"] = library_key(t.key)
        except InvalidValue as e:
            b.invalid(rid, -1, "key", t.key, str(e))
        values = b.validated(rid, -1, raw)
        genres = [g.strip() for g in re.split(r"[/,;]", t.genre or "") if g.strip()]
        year = _year(t.year)
        extra = {"library": t.library, "track_no": t.track_no, **({"location": t.location} if t.location else {}),
                 **({"path": t.path} if t.path else {}), **({"album": t.album} if t.album else {}),
                 **({"year": year} if year else {}), **t.extra}
        b.observation(
            self.source, rid, -1, track_id, f"library:{strategy}", kind=self.source,
            artist_raw=t.artist.strip() or None, title_raw=t.title.strip() or None, genres=genres,
            label=t.label.strip() or None, duration_s=t.duration_s, rating=t.rating, extra=extra, **values,
        )
        b.processed(rec, "library_track")

    # -- playlists ---------------------------------------------------------------------------------

    def _playlist(self, rec: dict) -> None:
        b = self.b
        rid = rec["record_id"]
        pl = self.playlist_of(rec["payload"], str(rec.get("source_key") or ""))
        if isinstance(pl, str):
            b.reject(rid, -1, pl, rec["payload"])
            b.processed(rec, "rejected")
            return
        key = f"{pl.library}:{pl.path}"
        set_id = stable_id("set", f"{self.source}:{key}")
        if set_id in b.set_ids:
            b.supersede(set_id, f"superseded by bronze record {rid}, a newer export of playlist {pl.path!r} of "
                                f"library {pl.library!r}")
        count = 0
        for i, (written, ident) in enumerate(pl.entries):
            track_id = self.resolve_entry(ident) if ident is not None else None
            if track_id is None:
                b.reject(rid, i, f"playlist entry {written!r} is not a track of the library", written)
                continue
            b.rows.add("set_entry", set_id, i + 1, None, None, track_id, rid, i, str(written))
            count += 1
        b.new_set(set_id, source=self.source, source_key=key, record_id=rid, title=pl.title or key,
                  tags=pl.tags, entry_count=count, gap_count=0)
        b.stats.entries += count
        b.processed(rec, "library_playlist")


_LAST_PARENS = re.compile(r"^(?P<title>.*\S)\s*[(\[](?P<version>[^()\[\]]*)[)\]]\s*$")


def library_of(payload: dict) -> str:
    """The library a bronze record belongs to; records ingested before libraries had none."""
    return str(payload.get("_library") or "default")


def rating_stars(value: Any, scale: int) -> int | None:
    """A rating on a 0..``scale`` scale as 0-5 stars."""
    number = float_or(value)
    if number is None or not 0 <= number <= scale:
        return None
    return round(number * 5 / scale)


def _year(value: Any) -> int | None:
    m = re.match(r"^\s*((?:19|20)\d\d)", str(value or ""))
    return int(m.group(1)) if m else None


def first_text(*values: Iterable[Any]) -> str:
    for v in values:
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""
