"""Playlist files: reading M3U / M3U8 / XSPF a line or a chunk at a time, and writing them.

Reading never raises for what is inside the file: every entry that can be read comes out, and
what cannot is a :class:`Problem` with its line number. Only a file that cannot be opened at all
raises :class:`PlaylistFileError`. Stream URLs (``http://`` and the like) are kept as entries that
Segue cannot play, so exporting the playlist again loses nothing.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal
from xml.parsers import expat
from xml.sax.saxutils import escape

from player.paths import file_url, url_path

FORMATS = {".m3u": "m3u", ".m3u8": "m3u", ".xspf": "xspf"}
PathStyle = Literal["auto", "absolute", "relative"]
MAX_LINE = 4096  # PATH_MAX: a longer line cannot be a path
MAX_PROBLEMS = 50  # kept with their text; the rest are only counted
_CHUNK = 1 << 16
_SNIFF = 8192
_MAX_TEXT_PARTS = 64  # expat hands text over in pieces of at most a chunk
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_XSPF_NS = "http://xspf.org/ns/0/"
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def is_url(location: str) -> bool:
    """Whether ``location`` is a URL (scheme://...) rather than a path."""
    return bool(_URL.match(location))


def playlist_format(path: Path) -> str | None:
    """``"m3u"`` or ``"xspf"`` from the suffix of ``path``; None for another suffix."""
    return FORMATS.get(path.suffix.lower())


class PlaylistReader:
    """Reads one playlist file as an iterator of :class:`FileEntry`.

    While iterating, ``problems`` fills with what could not be read and ``name`` with the name the
    file gives itself (``#PLAYLIST:`` or the XSPF ``title``). The file is read in pieces, so a
    huge one costs memory for its entries only.

    Raises:
        PlaylistFileError: From the constructor, when the file cannot be opened.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.problems = Problems()
        self.name: str | None = None
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

    def __iter__(self) -> Iterator[FileEntry]:
        try:
            reader = self._read_xspf if self.kind == "xspf" else self._read_m3u
            yield from reader()
        except OSError as error:  # e.g. an I/O error half-way: keep what was read
            self.problems.add(0, f"reading stopped: {error.strerror or error}")
        finally:
            self._file.close()

    # -- M3U -------------------------------------------------------------------------------
    def _read_m3u(self) -> Iterator[FileEntry]:
        if b"\0" in self._head:  # text never holds NUL: an audio file or an archive, say
            self.problems.add(0, "binary data, not a playlist: nothing was read")
            return
        info: tuple[int | None, str, str] | None = None
        album = artist_default = ""
        number = 0
        while True:
            raw = self._file.readline(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                self._skip_rest_of_line()
                self.problems.add(number, f"longer than {MAX_LINE} bytes: not a path; skipped")
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
                elif upper.startswith("#PLAYLIST:") and self.name is None:
                    self.name = text[10:].strip() or None
                elif upper.startswith("#EXTALB:"):
                    album = text[8:].strip()
                elif upper.startswith("#EXTART:"):
                    artist_default = text[8:].strip()
                continue
            location = self._location(raw.strip(), number)
            if location is None:
                info = None
                continue
            duration, artist, title = info or (None, "", "")
            yield FileEntry(location, title, artist or artist_default, album, duration, line=number)
            info = None

    def _skip_rest_of_line(self) -> None:
        while chunk := self._file.readline(_CHUNK):
            if chunk.endswith(b"\n"):
                return

    def _text(self, raw: bytes, number: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.add(number, "not valid UTF-8: read as Windows-1252")
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
            self.problems.add(number, f"#EXTINF without a valid duration ({token[:40]!r})")
        else:
            if 0 <= seconds < 1e7:
                duration = round(seconds * 1000)
        artist, dash, title = label.strip().partition(" - ")
        return (duration, artist.strip(), title.strip()) if dash else (duration, "", artist)

    def _location(self, raw: bytes, number: int) -> str | None:
        """An absolute path or a URL from a path line; None (and a problem) for junk."""
        if any(byte < 0x20 and byte != 0x09 for byte in raw):
            self.problems.add(number, "not a path or URL (control characters); skipped")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._undecodable_path(raw, number)
        if is_url(text):
            local = url_path(text)
            if local is None:
                self.problems.add(
                    number, f"{_short(text)} is a URL, not a file: kept, not playable"
                )
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
            self.problems.add(number, "path not valid UTF-8: read as Windows-1252")
            return latin
        self.problems.add(number, "path not valid UTF-8 and no such file: kept as written")
        return exact

    # -- XSPF ------------------------------------------------------------------------------
    def _read_xspf(self) -> Iterator[FileEntry]:
        parser = expat.ParserCreate(namespace_separator=" ")
        state = _XspfState(self._base, self.problems, parser)
        parser.StartElementHandler = state.start
        parser.EndElementHandler = state.end
        parser.CharacterDataHandler = state.text
        while True:
            chunk = self._file.read(_CHUNK)
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as error:
                yield from state.take()
                message = expat.ErrorString(error.code) if error.code else str(error)
                self.problems.add(
                    error.lineno, f"broken XML ({message}); nothing after it could be read"
                )
                break
            yield from state.take()
            if not chunk:
                break
        self.name = state.name
        if not state.seen_root:
            self.problems.add(0, "no XSPF playlist in the file")


class _XspfState:
    """expat callbacks collecting XSPF tracks as they close."""

    def __init__(self, base: str, problems: Problems, parser: expat.XMLParserType) -> None:
        self._base = base
        self._problems = problems
        self._line: Callable[[], int] = lambda: parser.CurrentLineNumber
        self._stack: list[str] = []
        self._text: list[str] = []
        self._track: dict[str, str] | None = None
        self._track_line = 0
        self._ready: list[FileEntry] = []
        self.name: str | None = None
        self.seen_root = False

    def start(self, tag: str, _attributes: dict[str, str]) -> None:
        name = tag.rsplit(" ", 1)[-1]
        if not self._stack:
            self.seen_root = name == "playlist"
            if not self.seen_root:
                self._problems.add(self._line(), f"<{name}> is not an XSPF <playlist>")
        self._stack.append(name)
        self._text = []
        if name == "track" and self._inside("trackList"):
            self._track, self._track_line = {}, self._line()

    def text(self, data: str) -> None:
        if len(self._text) < _MAX_TEXT_PARTS:  # a huge text node is cut, not held whole
            self._text.append(data)

    def end(self, _tag: str) -> None:
        name = self._stack.pop()
        value = "".join(self._text).strip()
        self._text = []
        if not self.seen_root:
            return
        if self._track is not None:
            if name == "track":
                self._finish_track(self._track)
                self._track = None
            elif self._stack[-1:] == ["track"]:
                self._track.setdefault(name, value)  # XSPF allows several locations: the first
        elif name == "title" and self._stack == ["playlist"]:
            self.name = value or None

    def take(self) -> list[FileEntry]:
        ready, self._ready = self._ready, []
        return ready

    def _inside(self, name: str) -> bool:
        return len(self._stack) >= 2 and self._stack[-2] == name

    def _finish_track(self, track: dict[str, str]) -> None:
        line = self._track_line
        location = track.get("location", "")
        if not location:
            self._problems.add(line, "a track without a <location>; skipped")
            return
        if is_url(location):
            local = url_path(location)
            if local is None:
                self._problems.add(
                    line, f"{_short(location)} is a URL, not a file: kept, not playable"
                )
            location = local or location
        else:  # a relative URI: relative to the playlist's folder
            location = os.path.normpath(
                os.path.join(self._base, os.fsdecode(urllib.parse.unquote_to_bytes(location)))
            )
        duration: int | None = None
        if text := track.get("duration"):
            try:
                duration = max(0, int(float(text)))
            except ValueError:
                self._problems.add(line, f"<duration> {text[:40]!r} is not a number; ignored")
        entry = FileEntry(
            location,
            track.get("title", ""),
            track.get("creator", ""),
            track.get("album", ""),
            duration,
            line=line,
        )
        self._ready.append(entry)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


# -- writing ---------------------------------------------------------------------------------
def write_playlist(
    target: Path, entries: Iterable[FileEntry], *, name: str, paths: PathStyle = "auto"
) -> int:
    """Write ``entries`` to ``target`` in the format its suffix names; returns how many.

    The file is written beside the target and renamed over it, so a failure leaves any old file
    whole. M3U and M3U8 are both written as UTF-8 (``#EXTM3U``, ``#EXTINF:seconds,Artist -
    Title``); a name that is not UTF-8 is written as its exact bytes. ``paths``: "auto" writes a
    file under the playlist's folder relative to it and any other absolute; XSPF always writes
    absolute ``file://`` URIs.

    Raises:
        PlaylistFileError: Unknown suffix, or the file cannot be written.
    """
    target = Path(target)
    kind = playlist_format(target)
    if kind is None:
        raise UnknownFormat(
            f"{target}: unknown playlist format {target.suffix!r} (use .m3u, .m3u8 or .xspf)"
        )
    folder = os.path.dirname(os.path.abspath(target))
    render = (
        _xspf_lines(entries, name) if kind == "xspf" else _m3u_lines(entries, name, folder, paths)
    )
    count = 0
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".segue-", suffix=target.suffix)
    except OSError as error:
        raise PlaylistFileError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            for line, is_entry in render:
                out.write(line)
                count += is_entry
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise PlaylistFileError(f"cannot write {target}: {error.strerror or error}") from None
    return count


def _m3u_lines(
    entries: Iterable[FileEntry], name: str, folder: str, style: PathStyle
) -> Iterator[tuple[bytes, bool]]:
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


def _xspf_lines(entries: Iterable[FileEntry], name: str) -> Iterator[tuple[bytes, bool]]:
    yield (
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<playlist version="1" xmlns="{_XSPF_NS}">\n'
            f"  <title>{_xml(name)}</title>\n  <trackList>\n"
        ).encode(),
        False,
    )
    for entry in entries:
        location = entry.path if entry.is_url else file_url(entry.path)
        parts = [f"      <location>{_xml(location)}</location>\n"]
        for tag, value in (
            ("title", entry.title),
            ("creator", entry.artist),
            ("album", entry.album),
        ):
            if value:
                parts.append(f"      <{tag}>{_xml(value)}</{tag}>\n")
        if entry.duration_ms is not None:
            parts.append(f"      <duration>{entry.duration_ms}</duration>\n")
        yield ("    <track>\n" + "".join(parts) + "    </track>\n").encode(), True
    yield b"  </trackList>\n</playlist>\n", False


def _xml(text: str) -> str:
    return escape(_XML_UNSAFE.sub("", text))


def _one_line(text: str) -> str:
    return " ".join(text.split())
