"""A set as a Traktor collection file (NML 19) with one playlist (Import Collection / Import Playlist in
Traktor's browser).

Tracks from a Traktor library keep their VOLUME / DIR / FILE (Traktor's own key of a track); tracks from
another program's library are written from their file path (``D:/dj/a.mp3`` -> VOLUME ``D:``, DIR
``/:dj/:``; ``/Users/me/a.mp3`` -> DIR ``/:Users/:me/:`` on the startup volume). The key is written in
Traktor's MUSICAL_KEY numbering (0-11 C..B major, 12-23 C..B minor), the tempo as TEMPO BPM.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

from etl.exporters import ExportTrack


def location_of(path: str) -> dict[str, str]:
    """VOLUME, DIR and FILE of a file path, as Traktor writes them."""
    p = path.replace("\\", "/")
    volume = ""
    if len(p) >= 2 and p[1] == ":":
        volume, p = p[:2], p[2:]
    directory, _, file = p.rpartition("/")
    parts = [x for x in directory.split("/") if x]
    return {"DIR": "/:" + "".join(f"{x}/:" for x in parts), "FILE": file, "VOLUME": volume}


def musical_key(t: ExportTrack) -> str | None:
    if t.key is None:
        return None
    return str(t.key.pitch_class + (0 if t.key.mode == 1 else 12))


def write(tracks: list[ExportTrack], name: str, library: str | None) -> tuple[str, int, list[ExportTrack]]:
    root = ET.Element("NML", VERSION="19")
    ET.SubElement(root, "HEAD", COMPANY="www.native-instruments.com", PROGRAM="Traktor")
    ET.SubElement(root, "MUSICFOLDERS")
    collection = ET.SubElement(root, "COLLECTION")
    keys: dict[int, str] = {}
    order: list[str] = []
    missing: list[ExportTrack] = []
    for t in tracks:
        if t.track_id in keys:
            order.append(keys[t.track_id])
            continue
        ref = t.file("traktor", library)
        if ref is None or not (ref.path or ref.extra.get("file")):
            missing.append(t)
            continue
        if ref.program == "traktor" and ref.extra.get("file"):
            loc = {"DIR": ref.extra.get("dir", ""), "FILE": ref.extra["file"], "VOLUME": ref.extra.get("volume", "")}
        else:
            loc = location_of(ref.path or "")
        key = f"{loc['VOLUME']}{loc['DIR']}{loc['FILE']}"
        keys[t.track_id] = key
        order.append(key)
        own = ref.program == "traktor"
        entry = ET.SubElement(collection, "ENTRY", TITLE=(ref.title if own and ref.title else t.display_title),
                              ARTIST=(ref.artist if own and ref.artist is not None else t.artists))
        ET.SubElement(entry, "LOCATION", DIR=loc["DIR"], FILE=loc["FILE"], VOLUME=loc["VOLUME"], VOLUMEID=loc["VOLUME"])
        info = {"PLAYTIME": str(round(t.duration_s))} if t.duration_s else {}
        ET.SubElement(entry, "INFO", info)
        if t.bpm:
            ET.SubElement(entry, "TEMPO", BPM=f"{t.bpm:.6f}", BPM_QUALITY="100.000000")
        mk = musical_key(t)
        if mk is not None:
            ET.SubElement(entry, "MUSICAL_KEY", VALUE=mk)
    collection.set("ENTRIES", str(len(keys)))
    ET.SubElement(root, "SETS", ENTRIES="0")
    playlists = ET.SubElement(root, "PLAYLISTS")
    folder = ET.SubElement(playlists, "NODE", TYPE="FOLDER", NAME="$ROOT")
    sub = ET.SubElement(folder, "SUBNODES", COUNT="1")
    node = ET.SubElement(sub, "NODE", TYPE="PLAYLIST", NAME=name)
    playlist = ET.SubElement(node, "PLAYLIST", ENTRIES=str(len(order)), TYPE="LIST",
                             UUID=uuid.uuid5(uuid.NAMESPACE_URL, "graphsvc:" + name + ":" + ",".join(order)).hex)
    for key in order:
        ET.SubElement(ET.SubElement(playlist, "ENTRY"), "PRIMARYKEY", TYPE="TRACK", KEY=key)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n' + ET.tostring(root, encoding="unicode") + "\n",
            len(order), missing)
