"""rekordbox XML collections: library tracks and playlists (scoped to the library they came from)."""

from __future__ import annotations

import re
from typing import ClassVar

from etl.silver.helpers import float_or, int_or, with_credits
from etl.silver.sources.base import SilverSource
from etl.tracklist import Credit, EntryParseError
from graphsvc.ids import stable_id


class RekordboxSource(SilverSource):
    source = "rekordbox"
    record_types: ClassVar[tuple[str, ...]] = ("library_track", "library_playlist")

    def process(self, record_type: str, rec: dict) -> None:
        if record_type == "library_track":
            self._track(rec)
        else:
            self._playlist(rec)

    def _track(self, rec: dict) -> None:
        b = self.b
        rid, t = rec["record_id"], rec["payload"]
        track_no = str(t.get("TrackID") or "").strip()
        name, artist = (t.get("Name") or "").strip(), (t.get("Artist") or "").strip()
        if not track_no or not name or not artist:
            b.reject(rid, -1, "rekordbox TRACK needs TrackID, Name and Artist", t)
            b.processed(rec, "rejected")
            return
        try:
            p = b.parse(f"{artist} - {name}")
            remixer = (t.get("Remixer") or "").strip()
            if remixer and not any(c.role == "remixer" for c in p.credits):
                p = with_credits(p, p.credits + tuple(Credit(n, "remixer") for n in b.splitter.split(remixer)))
            duration = float_or(t.get("TotalTime"))
            # TrackIDs are unique only inside one library; a Location is the same file in any export
            idents = [("rekordbox", f"{_rekordbox_library(t)}:{track_no}")]
            if (t.get("Location") or "").strip():
                idents.append(("rekordbox_location", t["Location"].strip()))
            track_id = b.track_for(p, rid, idents, duration)
        except EntryParseError as e:
            b.reject(rid, -1, str(e), t)
            b.processed(rec, "rejected")
            return
        values = b.validated(rid, -1, {"bpm": t.get("AverageBpm"), "key": t.get("Tonality")})
        rating = int_or(t.get("Rating"), None)
        genres = [g.strip() for g in re.split(r"[/,;]", t.get("Genre") or "") if g.strip()]
        b.observation(
            "rekordbox", rid, -1, track_id, "library", artist_raw=artist, title_raw=name, genres=genres,
            label=(t.get("Label") or "").strip() or None, duration_s=float_or(t.get("TotalTime")),
            rating=round(rating / 51) if rating is not None and 0 <= rating <= 255 else None,
            extra={k: t[k] for k in ("Year", "Location", "Album") if t.get(k)}, **values,
        )
        b.processed(rec, "library_track")

    def _playlist(self, rec: dict) -> None:
        b = self.b
        rid, pl = rec["record_id"], rec["payload"]
        library = _rekordbox_library(pl)
        # the folder path plus the playlist name ("Warm-up/Opening"), unique inside one library
        if "name" in pl or "path" in pl:
            path = "/".join([*map(str, pl.get("path") or []), str(pl.get("name") or "")])
        else:  # an old record without them: its bronze source_key is that path
            path = str(rec.get("source_key") or "")
        entries = pl.get("entries")
        if not path or not isinstance(entries, list):
            b.reject(rid, -1, "playlist needs a name and a list of entries", pl)
            b.processed(rec, "rejected")
            return
        key = f"{library}:{path}"
        set_id = stable_id("set", f"rekordbox:{key}")
        if set_id in b.set_ids:
            b.supersede(set_id, f"superseded by bronze record {rid}, a newer export of playlist {path!r} of "
                                    f"library {library!r}")
        by_location = str(pl.get("key_type", "0")) == "1"
        scope = f"{library}:"
        count = 0
        for i, entry in enumerate(entries):
            # KeyType 1: the entry is a Location (unscoped); else a TrackID of this playlist's own library
            ident = ("rekordbox_location", str(entry)) if by_location else ("rekordbox", scope + str(entry))
            track_id = b.tracks.by_ident.get(ident)
            if track_id is None:
                b.reject(rid, i, f"playlist entry {entry!r} is not a track of the library", entry)
                continue
            b.rows.add("set_entry", set_id, i + 1, None, None, track_id, rid, i, str(entry))
            count += 1
        b.new_set(set_id, source="rekordbox", source_key=key, record_id=rid, title=str(pl.get("name") or key),
                      tags=[], entry_count=count, gap_count=0)
        b.stats.entries += count
        b.processed(rec, "library_playlist")


def _rekordbox_library(payload: dict) -> str:
    """The rekordbox library a bronze record belongs to; records ingested before libraries had none."""
    return str(payload.get("_library") or "default")
