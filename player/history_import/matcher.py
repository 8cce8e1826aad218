"""Matching export entries to library files: an index of the library by normalised artist and
title, album and duration as tie-breakers; a cover by another artist never matches.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from player.history_import.normalise import artist_keys, fold_album, title_base, title_key

#: Durations closer than this break a tie between candidates.
DURATION_TOLERANCE_MS = 3_000
_LIVE = re.compile(r"\blive\b|\ben vivo\b|\bao vivo\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LibraryTrack:
    """What the matcher needs of one library track."""

    id: int
    path: str
    artist: str
    title: str
    album: str = ""
    duration_ms: int | None = None
    available: bool = True
    mbid: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome of matching one entry.

    Attributes:
        track: The matched track, or ``None``.
        reason: For a match, a note when it is a weaker one (version parts differ); otherwise
            why nothing was matched.
    """

    track: LibraryTrack | None
    reason: str = ""


class Matcher:
    """An index of the library for matching entries; built once per import.

    Tiers, first found wins: the MusicBrainz recording id, when both sides have one; artist
    and title keys equal (featured artists and punctuation
    aside); then equal once version parts are taken off (a weaker match). Ties go to the file
    tagged exactly as the entry names it, then to the entry's album, then to the nearest
    duration, then to an available file; what is still tied stays unmatched as ambiguous.

    Args:
        tracks: Every library track (unavailable ones too: their history is kept).
    """

    def __init__(self, tracks: Iterable[LibraryTrack]) -> None:
        self._tracks: list[LibraryTrack] = []
        self._exact: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._weak: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._albums: list[str] = []
        self._artists: set[str] = set()
        self._by_title: dict[str, int] = {}
        self._by_mbid: dict[str, list[int]] = defaultdict(list)
        for track in tracks:
            n = len(self._tracks)
            self._tracks.append(track)
            self._albums.append(fold_album(track.album))
            full, base = title_key(track.title), title_base(track.title)[0]
            for key in artist_keys(track.artist):
                self._artists.add(key)
                self._exact[key, full].append(n)
                self._weak[key, base].append(n)
            self._by_title.setdefault(full, n)
            if track.mbid:
                self._by_mbid[track.mbid].append(n)

    def __len__(self) -> int:
        return len(self._tracks)

    def match(
        self,
        artist: str,
        title: str,
        album: str = "",
        duration_ms: int | None = None,
        mbid: str = "",
    ) -> Match:
        """The library track an entry names, or why there is none."""
        found = self._by_mbid.get(mbid, []) if mbid else []
        if found:  # the same recording, whatever the tags say
            return self._decide(found, album, duration_ms, "")
        artists = artist_keys(artist)
        full = title_key(title)
        found = self._candidates(self._exact, artists, full)
        if len(found) > 1:  # tag variants of one song: the file tagged as the export names it
            same = (artist.strip().casefold(), title.strip().casefold())
            exact = [n for n in found if self._as_tagged(n) == same]
            found = exact or found
        if found:
            return self._decide(found, album, duration_ms, "")
        base, version = title_base(title)
        found = self._candidates(self._weak, artists, base)
        if len(found) > 1:
            found = self._same_kind(found, version)
        if found:
            return self._decide(found, album, duration_ms, version, weak=True)
        if not any(key in self._artists for key in artists):
            return Match(None, "no file by this artist in the library")
        other = self._by_title.get(full)
        if other is not None:
            by = self._tracks[other].artist
            return Match(None, f"no such title by this artist (the library has it by {by})")
        return Match(None, "no such title by this artist in the library")

    @staticmethod
    def _candidates(
        index: dict[tuple[str, str], list[int]], artists: Sequence[str], title: str
    ) -> list[int]:
        found: list[int] = []
        for key in artists:
            for n in index.get((key, title), ()):
                if n not in found:
                    found.append(n)
        return found

    def _same_kind(self, found: list[int], version: str) -> list[int]:
        """Among versions of one title: live with live, and a remaster with the plain title."""
        live = bool(_LIVE.search(version))
        kind = [n for n in found if bool(_LIVE.search(self._version(n))) == live] or found
        if len(kind) > 1:
            kind = [n for n in kind if not self._version(n)] or kind
        return kind

    def _as_tagged(self, n: int) -> tuple[str, str]:
        track = self._tracks[n]
        return track.artist.strip().casefold(), track.title.strip().casefold()

    def _version(self, n: int) -> str:
        return title_base(self._tracks[n].title)[1]

    def _decide(
        self,
        found: list[int],
        album: str,
        duration_ms: int | None,
        version: str,
        *,
        weak: bool = False,
    ) -> Match:
        """One candidate, after album, duration and availability break ties; else ambiguous."""
        if len(found) > 1 and album:
            key = fold_album(album)
            same = [n for n in found if self._albums[n] == key]
            found = same or found
        if len(found) > 1 and duration_ms:
            near = [n for n in found if self._near(n, duration_ms)]
            found = near or found
        if len(found) > 1:
            available = [n for n in found if self._tracks[n].available]
            found = available or found
        if len(found) > 1:
            paths = ", ".join(self._tracks[n].path for n in found[:3])
            more = f" and {len(found) - 3} more" if len(found) > 3 else ""
            return Match(None, f"ambiguous: {len(found)} files match ({paths}{more})")
        note = ""
        if weak:  # the export's version part, then the file's
            theirs = self._version(found[0])
            note = f"weaker match: version parts differ ({version or 'none'} / {theirs or 'none'})"
        return Match(self._tracks[found[0]], note)

    def _near(self, n: int, duration_ms: int) -> bool:
        own = self._tracks[n].duration_ms
        return own is not None and abs(own - duration_ms) <= DURATION_TOLERANCE_MS
