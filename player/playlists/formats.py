"""Playlist files by format: open one and read its entries, or write entries to one atomically.

Reading never raises for what is inside the file: every entry that can be read comes out, and
what cannot is a problem with its line number. Only a file that cannot be opened at all raises
:class:`PlaylistFileError`. Stream URLs (``http://`` and the like) are kept as entries that
Segue cannot play, so exporting the playlist again loses nothing.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from player.playlists.m3u import M3uReader, PathStyle, m3u_lines
from player.playlists.records import (
    FileEntry,
    PlaylistFileError,
    Problems,
    Reading,
    UnknownFormat,
)
from player.playlists.xspf import read_xspf, xspf_lines

FORMATS = {".m3u": "m3u", ".m3u8": "m3u", ".xspf": "xspf"}
_SNIFF = 8192


def playlist_format(path: Path) -> str | None:
    """``"m3u"`` or ``"xspf"`` from the suffix of ``path``; None for another suffix."""
    return FORMATS.get(path.suffix.lower())


class PlaylistReader:
    """Reads one playlist file as an iterator of :class:`FileEntry`.

    While iterating, ``problems`` fills with what could not be read and ``name`` is the name the
    file gives itself (``#PLAYLIST:`` or the XSPF ``title``). The file is read in pieces, so a
    huge one costs memory for its entries only. A suffix other than .m3u, .m3u8 and .xspf is
    read by its content.

    Raises:
        PlaylistFileError: From the constructor, when the file cannot be opened.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._reading = Reading()
        try:
            # A pipe or a device would block or never end: only regular files are read.
            if not stat.S_ISREG(os.stat(self.path).st_mode):
                raise PlaylistFileError(f"cannot read {self.path}: not a regular file")
            self._file: BinaryIO = self.path.open("rb")
            self._head = self._file.read(_SNIFF)
            self._file.seek(0)
        except OSError as error:
            raise PlaylistFileError(f"cannot read {self.path}: {error.strerror or error}") from None
        self._base = os.path.dirname(os.path.abspath(self.path))
        kind = playlist_format(self.path)
        if kind is None:  # another suffix: judge by the content
            start = self._head.lstrip(b"\xef\xbb\xbf \t\r\n")
            kind = "xspf" if start.startswith(b"<") else "m3u"
        self.kind = kind

    @property
    def problems(self) -> Problems:
        """What could not be read so far."""
        return self._reading.problems

    @property
    def name(self) -> str | None:
        """The name the file gives itself, once read."""
        return self._reading.name

    def __iter__(self) -> Iterator[FileEntry]:
        try:
            if self.kind == "xspf":
                yield from read_xspf(self._file, self._base, self._reading)
            else:
                yield from M3uReader(self._file, self._head, self._base, self._reading)
        except OSError as error:  # e.g. an I/O error half-way: keep what was read
            self.problems.add(0, f"reading stopped: {error.strerror or error}")
        finally:
            self._file.close()


def write_playlist(
    target: Path, entries: Iterable[FileEntry], *, name: str, paths: PathStyle = "auto"
) -> int:
    """Write ``entries`` to ``target`` in the format its suffix names; returns how many.

    The file is written beside the target and renamed over it, so a failure leaves any old file
    whole. ``paths`` applies to M3U (see :func:`player.playlists.m3u.m3u_lines`); XSPF always
    writes absolute ``file://`` URIs.

    Raises:
        PlaylistFileError: Unknown suffix (:class:`UnknownFormat`), or the file cannot be written.
    """
    target = Path(target)
    kind = playlist_format(target)
    if kind is None:
        raise UnknownFormat(
            f"{target}: unknown playlist format {target.suffix!r} (use .m3u, .m3u8 or .xspf)"
        )
    folder = os.path.dirname(os.path.abspath(target))
    lines = xspf_lines(entries, name) if kind == "xspf" else m3u_lines(entries, name, folder, paths)
    count = 0
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".segue-", suffix=target.suffix)
    except OSError as error:
        raise PlaylistFileError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            for line, is_entry in lines:
                out.write(line)
                count += is_entry
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise PlaylistFileError(f"cannot write {target}: {error.strerror or error}") from None
    return count
