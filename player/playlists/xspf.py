"""XSPF: read a chunk at a time with expat (a break in the XML keeps every track before it) and
written with percent-encoded ``file://`` locations, title, creator, album and duration."""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO
from xml.parsers import expat
from xml.sax.saxutils import escape

from player.paths import file_url, url_path
from player.playlists.records import FileEntry, Problems, Reading, is_url, url_kept

XSPF_NS = "http://xspf.org/ns/0/"
_CHUNK = 1 << 16
_MAX_TEXT_PARTS = 64  # expat hands text over in pieces of at most a chunk
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_xspf(file: BinaryIO, base: str, reading: Reading) -> Iterator[FileEntry]:
    """The tracks of one XSPF file; relative locations are taken from ``base``. Problems and the
    playlist's ``title`` go to ``reading``."""
    parser = expat.ParserCreate(namespace_separator=" ")
    state = _XspfState(base, reading.problems, parser)
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.text
    while True:
        chunk = file.read(_CHUNK)
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as error:
            yield from state.take()
            message = expat.ErrorString(error.code) if error.code else str(error)
            reading.problems.add(
                error.lineno, f"broken XML ({message}); nothing after it could be read"
            )
            break
        yield from state.take()
        if not chunk:
            break
    reading.name = state.name
    if not state.seen_root:
        reading.problems.add(0, "no XSPF playlist in the file")


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
        if name == "track" and self._stack[-2:-1] == ["trackList"]:
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
        """The tracks finished since the last call."""
        ready, self._ready = self._ready, []
        return ready

    def _finish_track(self, track: dict[str, str]) -> None:
        line = self._track_line
        location = track.get("location", "")
        if not location:
            self._problems.add(line, "a track without a <location>; skipped")
            return
        if is_url(location):
            local = url_path(location)
            if local is None:
                self._problems.add(line, url_kept(location))
            location = local or location
        else:  # a relative URI: relative to the playlist's folder
            relative = os.fsdecode(urllib.parse.unquote_to_bytes(location))
            location = os.path.normpath(os.path.join(self._base, relative))
        duration: int | None = None
        if text := track.get("duration"):
            try:
                duration = max(0, int(float(text)))
            except ValueError:
                self._problems.add(line, f"<duration> {text[:40]!r} is not a number; ignored")
        title, creator, album = (track.get(k, "") for k in ("title", "creator", "album"))
        self._ready.append(FileEntry(location, title, creator, album, duration, line=line))


def xspf_lines(entries: Iterable[FileEntry], name: str) -> Iterator[tuple[bytes, bool]]:
    """The file's lines as bytes, each with whether it completes an entry."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<playlist version="1" xmlns="{XSPF_NS}">\n'
        f"  <title>{_xml(name)}</title>\n  <trackList>\n"
    )
    yield head.encode(), False
    for entry in entries:
        location = entry.path if entry.is_url else file_url(entry.path)
        parts = [f"      <location>{_xml(location)}</location>\n"]
        for tag, value in (("title", entry.title), ("creator", entry.artist),
                           ("album", entry.album)):  # fmt: skip
            if value:
                parts.append(f"      <{tag}>{_xml(value)}</{tag}>\n")
        if entry.duration_ms is not None:
            parts.append(f"      <duration>{entry.duration_ms}</duration>\n")
        yield ("    <track>\n" + "".join(parts) + "    </track>\n").encode(), True
    yield b"  </trackList>\n</playlist>\n", False


def _xml(text: str) -> str:
    return escape(_XML_UNSAFE.sub("", text))
