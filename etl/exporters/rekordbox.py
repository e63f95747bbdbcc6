"""A set as a rekordbox XML collection with one playlist (File > Import in rekordbox, or the "rekordbox xml"
view of its bridge).

Tracks that came from a rekordbox library keep their TrackID, Location and the Artist / Name the user
tagged them with, so rekordbox links the playlist to the tracks already in its collection (it matches by
Location). Tracks from another program's library get a TrackID of their own (from 900000001 on, or
after a clash of two libraries' TrackIDs) and their file as a Location. The playlist is KeyType 0
(entries are TrackIDs), in set order; a track played twice is one TRACK listed twice in the playlist.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from etl.exporters import ExportTrack, file_url

_SYNTHETIC = 900_000_000


def write(tracks: list[ExportTrack], name: str, library: str | None) -> tuple[str, int, list[ExportTrack]]:
    root = ET.Element("DJ_PLAYLISTS", Version="1.0.0")
    ET.SubElement(root, "PRODUCT", Name="graphsvc", Version="0.1.0", Company="graphsvc")
    collection = ET.SubElement(root, "COLLECTION")
    ids: dict[int, str] = {}          # silver track -> TrackID in this file
    used: dict[str, str] = {}         # TrackID -> the location it names
    entries: list[str] = []
    missing: list[ExportTrack] = []
    synthetic = _SYNTHETIC
    for t in tracks:
        if t.track_id in ids:
            entries.append(ids[t.track_id])
            continue
        ref = t.file("rekordbox", library)
        if ref is None:
            missing.append(t)
            continue
        location = ref.location if ref.program == "rekordbox" and ref.location else file_url(ref.path or "")
        track_no = ref.track_no if ref.program == "rekordbox" and ref.track_no else None
        if track_no is None or used.get(track_no, location) != location:
            synthetic += 1
            track_no = str(synthetic)
        used[track_no] = location
        ids[t.track_id] = track_no
        entries.append(track_no)
        own = ref.program == "rekordbox"
        attrs = {
            "TrackID": track_no,
            "Name": (ref.title if own and ref.title else t.display_title),
            "Artist": (ref.artist if own and ref.artist is not None else t.artists),
            "Location": location,
        }
        if t.duration_s:
            attrs["TotalTime"] = str(round(t.duration_s))
        if t.bpm:
            attrs["AverageBpm"] = f"{t.bpm:.2f}"
        if t.key is not None:
            attrs["Tonality"] = t.key.short_name
        ET.SubElement(collection, "TRACK", attrs)
    collection.set("Entries", str(len(ids)))
    playlists = ET.SubElement(root, "PLAYLISTS")
    folder = ET.SubElement(playlists, "NODE", Type="0", Name="ROOT", Count="1")
    playlist = ET.SubElement(folder, "NODE", Name=name, Type="1", KeyType="0", Entries=str(len(entries)))
    for track_no in entries:
        ET.SubElement(playlist, "TRACK", Key=track_no)
    if missing:
        root.insert(1, ET.Comment(" not in the playlist, no file in your libraries: "
                                  + "; ".join(f"{t.artists} - {t.display_title}" for t in missing).replace("--", "- -")
                                  + " "))
    ET.indent(root)
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    return xml, len(entries), missing
