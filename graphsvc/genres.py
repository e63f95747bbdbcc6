"""Genres as DJs name them: the vocabulary that tells a genre tag from a show, a DJ or a venue tag.

MixesDB tags a mix with categories such as ``Category:Tech House``, ``Category:Boiler Room`` and
``Category:Adam Beyer``; 1001Tracklists exports name one genre per tracklist (``Techno``). Only tags in
``GENRES`` count as genres (gold derives a track's *scene genres* from the genres of the sets that played
it, see ``etl/gold.py``). Names are compared case-insensitively; the canonical spelling is returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["GENRES", "genre_of_tag", "genres_of_tags"]

# Electronic and club genres as MixesDB / Beatport / 1001Tracklists spell them.
GENRES: tuple[str, ...] = (
    "Acid", "Acid House", "Acid Techno", "Afro House", "Ambient", "Balearic", "Bass", "Bass House", "Big Beat",
    "Big Room", "Breakbeat", "Breaks", "Chicago House", "Chillout", "Dance", "Deep House", "Deep Tech House",
    "Detroit Techno", "Disco", "Downtempo", "Drum & Bass", "Dub", "Dub Techno", "Dubstep", "EDM", "Electro",
    "Electro House", "Electronica", "Experimental", "Footwork", "Funk", "Funky House", "Future House", "Garage",
    "Grime", "Hard Dance", "Hard House", "Hard Techno", "Hard Trance", "Hardcore", "Hardstyle", "Hip Hop",
    "House", "IDM", "Indie Dance", "Industrial", "Italo Disco", "Jungle", "Leftfield", "Melodic House",
    "Melodic Techno", "Minimal", "Minimal Techno", "Nu Disco", "Progressive", "Progressive House",
    "Progressive Trance", "Psytrance", "Soulful House", "Tech House", "Techno", "Trance", "Trap", "Tribal House",
    "Trip Hop", "UK Garage", "Uplifting Trance", "Vocal House", "Vocal Trance",
)
_BY_KEY = {g.casefold(): g for g in GENRES}
_ALIASES = {"drum and bass": "Drum & Bass", "drum'n'bass": "Drum & Bass", "dnb": "Drum & Bass",
            "d&b": "Drum & Bass", "psy trance": "Psytrance", "psy-trance": "Psytrance", "hip-hop": "Hip Hop",
            "deep-house": "Deep House", "tech-house": "Tech House", "minimal-techno": "Minimal Techno",
            "detroit-techno": "Detroit Techno", "chicago-house": "Chicago House", "drum-and-bass": "Drum & Bass",
            "progressive-house": "Progressive House", "nu-disco": "Nu Disco", "uk garage": "UK Garage"}
# a MixesDB category inside whatever form the tag arrived in ("Category:House", a dict's text, a URL)
_CATEGORY = re.compile(r"Category:([^'\"/\]}]+)")


def genre_of_tag(tag: str) -> str | None:
    """The canonical genre a tag names (``Category:Tech House`` -> ``Tech House``), else None."""
    if not isinstance(tag, str):
        return None
    m = _CATEGORY.search(tag)
    name = (m.group(1) if m else tag).replace("_", " ").strip().casefold()
    return _BY_KEY.get(name) or _ALIASES.get(name)


def genres_of_tags(tags: Iterable[str]) -> list[str]:
    """The distinct genres named by ``tags``, in tag order."""
    out: list[str] = []
    for t in tags:
        g = genre_of_tag(t)
        if g is not None and g not in out:
            out.append(g)
    return out
