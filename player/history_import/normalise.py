"""Matching keys for artists and titles: case, Unicode forms, accents, ``&``/``and``, ``The``,
featured artists, and the version parts (``- 2011 Remaster``, ``(Live)``) that make a weaker match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from player.textfold import fold as casefold_accents

#: Keys remembered (artists and titles repeat through an export: most lookups are hits).
CACHED = 1 << 16
_NOT_WORD = re.compile(r"[\W_]+")

# "feat. X" and friends, in an artist or at the end of a title (with or without brackets).
_FEAT_ARTIST = re.compile(r"\s*[\(\[]?\s*\b(?:feat\.?|ft\.?|featuring)(?:\s|$).*$", re.IGNORECASE)
_FEAT_TITLE = re.compile(
    r"\s*(?:[\(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s[^\)\]]*[\)\]]"
    r"|-?\s*\b(?:feat\.|ft\.|featuring)\s[^\(\)\[\]]*)",
    re.IGNORECASE,
)
# The first of several artists: "A, B", "A & B", "A x B", "A / B", "A; B" (not "AC/DC").
_MORE_ARTISTS = re.compile(r"\s*(?:,|;|\s/\s|\s&\s|\sx\s|\s×\s)\s*", re.IGNORECASE)
_VERSION_WORDS = (
    r"remaster(?:ed)?|remasterizad[oa]|live|en vivo|ao vivo|radio edit|edit|versi[oó]n|mono|"
    r"stereo|demo|acoustic|bonus(?: track)?|single|deluxe|explicit|clean|unplugged|"
    r"re-?recorded|original mix|anniversary|edition|soundtrack|motion picture|from the"
)
_VERSION_TAIL = re.compile(
    rf"\s*(?:\s-\s[^-]*\b(?:{_VERSION_WORDS})\b[^-]*|[\(\[][^\(\)\[\]]*\b(?:{_VERSION_WORDS})\b"
    r"[^\(\)\[\]]*[\)\]])\s*$",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    """Compared as search compares (:func:`player.textfold.fold`: case, accents), and also
    compatibility forms, ``&`` as ``and``, only letters and digits.

    Text that is only punctuation (``!!!``) keeps its punctuation, so it still has a key.
    """
    text = casefold_accents(text if text.isascii() else unicodedata.normalize("NFKC", text))
    words = _NOT_WORD.sub(" ", text.replace("&", " and ")).split()
    return " ".join(words) if words else " ".join(text.split())


@lru_cache(maxsize=CACHED)
def artist_keys(artist: str) -> tuple[str, ...]:
    """The artist's key, then (when different) the key of its first-named artist."""
    full = _artist_key(_FEAT_ARTIST.sub("", artist) or artist)
    first = _artist_key(_MORE_ARTISTS.split(_FEAT_ARTIST.sub("", artist) or artist)[0])
    return (full,) if first in ("", full) else (full, first)


def _artist_key(artist: str) -> str:
    key = fold(artist)
    if key.startswith("the ") and len(key) > 4:
        key = key[4:]
    if key.endswith(" the"):  # "Beatles, The"
        key = key[:-4]
    return key


@lru_cache(maxsize=CACHED)
def title_key(title: str) -> str:
    """The title's key: folded, featured artists left out."""
    return fold(_FEAT_TITLE.sub("", title) or title)


@lru_cache(maxsize=CACHED)
def title_base(title: str) -> tuple[str, str]:
    """The title without trailing version parts (folded), and the parts taken off (as written).

    ``"Song - 2011 Remaster"`` gives ``("song", "2011 Remaster")``; a title without one gives its
    key and ``""``.
    """
    text = _FEAT_TITLE.sub("", title) or title
    removed: list[str] = []
    while True:
        found = _VERSION_TAIL.search(text)
        if found is None or found.start() == 0:
            break
        removed.insert(0, found.group(0).strip(" -()[]"))
        text = text[: found.start()]
    if not removed:
        return title_key(title), ""  # most titles: the key, already computed
    return fold(text), ", ".join(removed)


def fold_album(album: str) -> str:
    """An album's key: its title key without version parts (``(Deluxe Edition)``)."""
    return title_base(album)[0] if album else ""
