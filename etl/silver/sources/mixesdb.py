"""MixesDB / DJ Mix Dataset mixes: one bronze record per mix, its tracklist entries in order.

Every entry lands in exactly one place: a set entry (its track resolved by YouTube id, then by track
key), a gap (``ID - ID``, unknown artist, a set segment) or a reject with the parser's reason. The mix
title gives date, DJs, venue, event and show (:func:`etl.mixtitle.parse_mix_title`); the label block of
an entry becomes a ``mixesdb`` observation of its track (label, catalog number, year).
"""

from __future__ import annotations

from typing import ClassVar

from etl.mixtitle import parse_mix_title
from etl.silver.sources.base import SilverSource
from etl.tracklist import EntryParseError
from graphsvc.ids import stable_id


class MixesdbSource(SilverSource):
    source = "mixesdb"
    record_types: ClassVar[tuple[str, ...]] = ("mix",)
    parses_tracklists = True

    def texts_to_parse(self, chunk: list[dict]) -> list[str]:
        """The distinct entry texts of a chunk that :meth:`process` will ``parse`` and that are not
        memoized, exactly as it passes them."""
        texts: dict[str, None] = {}
        memoized = self.b.is_memoized
        for rec in chunk:
            tracklist = rec["payload"].get("tracklist") if isinstance(rec["payload"], dict) else None
            for item in tracklist if isinstance(tracklist, list) else ():
                raw = item.get("title") if isinstance(item, dict) else None
                if isinstance(raw, str) and raw.strip() and not memoized(raw):
                    texts[raw] = None
        return list(texts)

    def process(self, record_type: str, rec: dict) -> None:
        b = self.b
        rid, payload = rec["record_id"], rec["payload"]
        tracklist = payload.get("tracklist") if isinstance(payload, dict) else None
        mix_id = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(tracklist, list) or not mix_id or not isinstance(payload.get("title"), str):
            b.reject(rid, -1, "mix needs an id, a title and a tracklist list", payload)
            b.processed(rec, "rejected")
            return
        set_id = stable_id("set", f"mixesdb:{mix_id}")
        if set_id in b.set_ids:
            b.supersede(set_id, f"superseded by bronze record {rid}, a newer version of mix {mix_id}")
        info = parse_mix_title(payload["title"], payload.get("tags") or ())
        entries = gaps = 0
        n_obs = len(b.rows.rows["observation"])
        # the hot loop of the build (~90k entries): locals instead of attribute look-ups and Rows.add
        set_entries, set_gaps, observations = (b.rows.rows[t] for t in ("set_entry", "set_gap", "observation"))
        parse, track_for = b.parse, b.track_for
        created, dirty = b.tracks.created, b.rows.dirty_tracks
        for i, item in enumerate(tracklist):
            raw = item.get("title") if isinstance(item, dict) else None
            if not isinstance(raw, str) or not raw.strip():
                b.reject(rid, i, "tracklist entry has no title text", item)
                continue
            try:
                p = parse(raw)
                if p.is_gap:
                    set_gaps.append((set_id, i + 1, p.cue, rid, i, raw, p.gap_reason or "unidentified"))
                    gaps += 1
                    continue
                yt = item.get("id")
                track_id = track_for(p, rid, [("youtube", yt)] if isinstance(yt, str) and yt else [])
            except EntryParseError as e:
                b.reject(rid, i, str(e), raw)
                continue
            set_entries.append((set_id, i + 1, p.cue, p.cue_seconds, track_id, rid, i, raw))
            entries += 1
            if p.label or p.catalog or p.year:
                # same row as _observation(..., "entry", artist_raw=..., title_raw=..., label=..., ...)
                observations.append((
                    stable_id("observation", f"{rid}:{i}"), "mixesdb", rid, i, track_id, "entry", p.artist_text,
                    p.title, None, None, None, None, [], p.label, p.catalog, None, None,
                    f'{{"year": {p.year}}}' if p.year else "{}", "mixesdb", None,
                ))
                if track_id not in created:
                    dirty.add(track_id)  # new tracks are born flagged; existing ones are bumped
        b.stats.observations += len(observations) - n_obs
        b.new_set(
            set_id, source="mixesdb", source_key=str(mix_id), record_id=rid, title=payload["title"],
            dj_display=info.dj_display, set_date=info.date, date_precision=info.date_precision,
            venue=info.venue, event=info.event, show=info.show, url=payload.get("url"),
            audio_url=payload.get("audio_url"), tags=[str(t) for t in payload.get("tags") or []],
            entry_count=entries, gap_count=gaps,
        )
        b.set_djs(set_id, info.djs, rid)
        b.stats.entries += entries
        b.stats.gaps += gaps
        b.processed(rec, "set")
