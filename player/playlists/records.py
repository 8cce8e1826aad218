"""What reading a playlist file gives: entries, problems with line numbers, and its errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_PROBLEMS = 50  # kept with their text; the rest are only counted
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class PlaylistFileError(Exception):
    """The file cannot be read or written at all; the message names it, for a human."""


class UnknownFormat(PlaylistFileError):
    """The file's suffix names no playlist format Segue writes."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One entry read from (or to be written to) a playlist file.

    ``path`` is an absolute local path, or a URL kept as written (see :attr:`is_url`).
    """

    path: str
    title: str = ""
    artist: str = ""
    album: str = ""
    duration_ms: int | None = None
    line: int = 0

    @property
    def is_url(self) -> bool:
        """A stream or remote location, not a local file."""
        return is_url(self.path)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the file that could not be read; ``line`` 0 is the file as a whole."""

    line: int
    message: str


@dataclass
class Problems:
    """The problems of one file: the first :data:`MAX_PROBLEMS` with their text, all counted."""

    kept: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int, message: str) -> None:
        """Note a problem at ``line``."""
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(Problem(line, message))


@dataclass
class Reading:
    """What reading one file found besides its entries: the name it gives itself, its problems."""

    problems: Problems = field(default_factory=Problems)
    name: str | None = None


def is_url(location: str) -> bool:
    """Whether ``location`` is a URL (scheme://...) rather than a path."""
    return bool(_URL.match(location))


def url_kept(location: str) -> str:
    """The problem text for a URL entry, which is kept but cannot be played."""
    short = location if len(location) <= 80 else location[:77] + "..."
    return f"{short} is a URL, not a file: kept, not playable"
