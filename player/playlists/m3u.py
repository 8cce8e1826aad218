"""M3U and M3U8: read a line at a time (``#EXTINF``, ``#PLAYLIST``, ``#EXTALB``, ``#EXTART``;
relative, absolute, ``file://`` and Windows paths), written as UTF-8."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Literal

from player.paths import url_path
from player.playlists.records import FileEntry, Reading, is_url, url_kept

PathStyle = Literal["auto", "absolute", "relative"]
MAX_LINE = 4096  # PATH_MAX: a longer line cannot be a path
_CHUNK = 1 << 16
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


class M3uReader:
    """The entries of one M3U file, read a line at a time; problems and the file's own name go
    to ``reading``. ``head`` is the file's first bytes: a NUL there means it is not text."""

    def __init__(self, file: BinaryIO, head: bytes, base: str, reading: Reading) -> None:
        self._file = file
        self._head = head
        self._base = base
        self._reading = reading
        self._problems = reading.problems

    def __iter__(self) -> Iterator[FileEntry]:
        if b"\0" in self._head:  # text never holds NUL: an audio file or an archive, say
            self._problems.add(0, "binary data, not a playlist: nothing was read")
            return
        info: tuple[int | None, str, str] | None = None
        album = artist_default = ""
        number = 0
        while raw := self._file.readline(MAX_LINE + 1):
            number += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                self._skip_rest_of_line()
                self._problems.add(number, f"longer than {MAX_LINE} bytes: not a path; skipped")
                continue
            raw = raw.rstrip(b"\r\n")
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            if raw.startswith(b"#"):
                text = self._text(raw, number)
                upper = text[:10].upper()
                if upper.startswith("#EXTINF:"):
                    info = self._extinf(text[8:], number)
                elif upper.startswith("#PLAYLIST:") and self._reading.name is None:
                    self._reading.name = text[10:].strip() or None
                elif upper.startswith("#EXTALB:"):
                    album = text[8:].strip()
                elif upper.startswith("#EXTART:"):
                    artist_default = text[8:].strip()
                continue
            location = self._location(raw.strip(), number)
            if location is not None:
                duration, artist, title = info or (None, "", "")
                artist = artist or artist_default
                yield FileEntry(location, title, artist, album, duration, line=number)
            info = None

    def _skip_rest_of_line(self) -> None:
        while chunk := self._file.readline(_CHUNK):
            if chunk.endswith(b"\n"):
                return

    def _text(self, raw: bytes, number: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._problems.add(number, "not valid UTF-8: read as Windows-1252")
            return raw.decode("cp1252", errors="replace")

    def _extinf(self, rest: str, number: int) -> tuple[int | None, str, str]:
        """``duration[ attributes],Artist - Title`` -> (duration ms, artist, title)."""
        head, comma, label = rest.partition(",")
        if not comma:
            label = ""
        token = head.split(maxsplit=1)[0] if head.strip() else ""
        duration: int | None = None
        try:
            seconds = float(token)
        except ValueError:
            self._problems.add(number, f"#EXTINF without a valid duration ({token[:40]!r})")
        else:
            if 0 <= seconds < 1e7:
                duration = round(seconds * 1000)
        artist, dash, title = label.strip().partition(" - ")
        return (duration, artist.strip(), title.strip()) if dash else (duration, "", artist)

    def _location(self, raw: bytes, number: int) -> str | None:
        """An absolute path or a URL from a path line; None (and a problem) for junk."""
        if any(byte < 0x20 and byte != 0x09 for byte in raw):
            self._problems.add(number, "not a path or URL (control characters); skipped")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._undecodable_path(raw, number)
        if is_url(text):
            local = url_path(text)
            if local is None:
                self._problems.add(number, url_kept(text))
                return text
            return local
        if _WINDOWS_DRIVE.match(text) or ("\\" in text and "/" not in text):
            text = text.replace("\\", "/")  # a playlist written on Windows
        return os.path.normpath(os.path.join(self._base, text))

    def _undecodable_path(self, raw: bytes, number: int) -> str:
        """A path line that is not UTF-8: the file's exact bytes if such a file exists, else the
        line read as Windows-1252 if that names a file, else the exact bytes (shown as missing)."""
        exact = os.path.normpath(os.path.join(self._base, os.fsdecode(raw)))
        if os.path.lexists(exact):
            return exact
        latin = os.path.normpath(os.path.join(self._base, raw.decode("cp1252", errors="replace")))
        if os.path.lexists(latin):
            self._problems.add(number, "path not valid UTF-8: read as Windows-1252")
            return latin
        self._problems.add(number, "path not valid UTF-8 and no such file: kept as written")
        return exact


def m3u_lines(
    entries: Iterable[FileEntry], name: str, folder: str, style: PathStyle
) -> Iterator[tuple[bytes, bool]]:
    """The file's lines as bytes, each with whether it completes an entry.

    ``style``: "auto" writes a file under ``folder`` relative to it and any other absolute;
    "relative" always relative (with ``..``), "absolute" never. A name that is not UTF-8 is
    written as its exact bytes.
    """
    yield f"#EXTM3U\n#PLAYLIST:{_one_line(name)}\n".encode(), False
    for entry in entries:
        seconds = -1 if entry.duration_ms is None else round(entry.duration_ms / 1000)
        label = f"{entry.artist} - {entry.title}" if entry.artist else entry.title
        yield f"#EXTINF:{seconds},{_one_line(label)}\n".encode(), False
        location = entry.path if entry.is_url else _relative(entry.path, folder, style)
        yield os.fsencode(location) + b"\n", True


def _relative(path: str, folder: str, style: PathStyle) -> str:
    if style == "absolute":
        return path
    relative = os.path.relpath(path, folder)
    if style == "relative" or not relative.startswith(os.pardir + os.sep):
        return relative
    return path


def _one_line(text: str) -> str:
    return " ".join(text.split())
