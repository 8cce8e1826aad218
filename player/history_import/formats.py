"""Finding exports in files, folders and zips, recognising each by its content, and reading it
as a stream of :class:`Entry` (CSV, a JSON array, a JSON object, JSON lines).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from player.history_import.entries import Entry, Source
from player.history_import.json_exports import (
    Reader,
    described,
    json_reader,
    lastfm_page_tracks,
    lastfm_track,
    listenbrainz,
)
from player.history_import.jsonstream import TruncatedJSON, iter_array
from player.history_import.lastfm_csv import CsvLayoutError, read_csv

log = logging.getLogger(__name__)

#: Bytes looked at to recognise a file (the first character, the first line of JSON lines).
HEAD_BYTES = 1 << 16


class FormatError(Exception):
    """A file is not an export Segue knows, or stops part-way; the message names the file.

    Attributes:
        unknown: The content is not an export at all (nothing was read from it).
    """

    def __init__(self, message: str, *, unknown: bool = True) -> None:
        super().__init__(message)
        self.unknown = unknown


@dataclass(frozen=True)
class ExportFile:
    """A file to read: on disk, or a member of a zip.

    Attributes:
        name: How messages and the report name it (``archive.zip!member`` inside a zip).
        size: Its size in bytes (uncompressed), for progress.
        named: Given by the user itself (an unknown format is an error); files found in a folder
            or zip that are not exports are skipped quietly (a Spotify export holds many).
    """

    name: str
    size: int
    opener: Callable[[], IO[bytes]]
    named: bool


def find_files(paths: Sequence[Path]) -> tuple[list[ExportFile], list[str]]:
    """The files under ``paths`` (files, folders walked in name order, zips); and one message
    per path that cannot be read."""
    found: list[ExportFile] = []
    problems: list[str] = []
    for path in paths:
        try:
            if path.is_dir():
                for root, dirs, names in os.walk(path):
                    dirs.sort()
                    for name in sorted(names):
                        _add_file(Path(root) / name, found, named=False)
            elif path.exists():
                _add_file(path, found, named=True)
            else:
                problems.append(f"{path}: no such file or folder")
        except (OSError, zipfile.BadZipFile) as error:
            problems.append(f"{path}: cannot read it ({error})")
    return found, problems


def _add_file(path: Path, found: list[ExportFile], *, named: bool) -> None:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if not info.is_dir():
                    found.append(
                        ExportFile(
                            f"{path}!{info.filename}", info.file_size,
                            _zip_opener(path, info.filename), named=False,
                        )
                    )  # fmt: skip
        return
    found.append(ExportFile(str(path), path.stat().st_size, lambda: path.open("rb"), named))


def _zip_opener(path: Path, member: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        archive = zipfile.ZipFile(path)
        stream = archive.open(member)
        archive.close()  # the member stream keeps the file open until it is closed
        return stream

    return opener


def read_entries(export: ExportFile, data: io.BufferedReader) -> Iterator[Entry]:
    """The entries of one export, its format recognised from its first bytes.

    Raises:
        FormatError: The content is not a known export (nothing was yielded), or a JSON file
            stops part-way (the entries before it were yielded).
    """
    start = data.peek(HEAD_BYTES)[:HEAD_BYTES]
    # UTF-8 unless a byte-order mark says UTF-16 (what spreadsheets save as "Unicode text").
    encoding = "utf-16" if start[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    head = start.decode(encoding, errors="replace")
    # newline="": the csv module reads line ends itself (quoted fields may hold them).
    stream = io.TextIOWrapper(data, encoding=encoding, errors="replace", newline="")
    stripped = head.lstrip("\ufeff \t\r\n")
    name = export.name
    if stripped.startswith("["):
        yield from _json_array(name, stream)
    elif stripped.startswith("{"):
        yield from _json_object_or_lines(name, stripped, stream)
    elif "\x00" in head:
        raise FormatError(f"{name}: not a listening-history export (a binary file)")
    else:
        try:
            yield from read_csv(name, stream, _delimiter(stripped.split("\n", 1)[0]))
        except CsvLayoutError as error:
            raise FormatError(f"{name}: not a listening-history export ({error})") from None


def _delimiter(first_line: str) -> str:
    """Comma, or the tab or semicolon a spreadsheet may have saved instead."""
    return max((",", "\t", ";"), key=first_line.count) if first_line else ","


# -- JSON ----------------------------------------------------------------------------------------


def _json_array(name: str, stream: IO[str]) -> Iterator[Entry]:
    reader: Reader | None = None
    index = 0
    try:
        for item in _flattened(iter_array(stream)):
            index += 1
            if reader is None:
                reader = json_reader(item)
                if reader is None:
                    raise FormatError(f"{name}: not a listening-history export (a JSON array of "
                                      f"{described(item)})")  # fmt: skip
            if not isinstance(item, dict):
                yield Entry(name, index, Source.SPOTIFY, error="not a JSON object")
                continue
            yield reader(name, index, item)
    except TruncatedJSON as error:
        raise FormatError(f"{name}: entry {index + 1}: {error}", unknown=index == 0) from None


def _flattened(items: Iterator[Any]) -> Iterator[Any]:
    """Array elements; a Last.fm backup's pages (``{"recenttracks": {"track": [...]}}``) give
    their tracks."""
    for item in items:
        tracks = lastfm_page_tracks(item)
        if tracks is None:
            yield item
        else:
            yield from tracks


def _json_object_or_lines(name: str, head: str, stream: IO[str]) -> Iterator[Entry]:
    first = head.split("\n", 1)[0].strip()
    try:
        obj = json.loads(first)
    except ValueError:
        obj = None
    if isinstance(obj, dict) and "listened_at" in obj:
        yield from _json_lines(name, stream)
        return
    try:
        whole = json.load(stream)
    except ValueError as error:
        raise FormatError(f"{name}: not valid JSON ({error})") from None
    tracks = lastfm_page_tracks(whole)
    if tracks is not None:  # a page of Last.fm's API (user.getRecentTracks)
        for index, item in enumerate(tracks, start=1):
            yield lastfm_track(name, index, item if isinstance(item, dict) else {})
        return
    listens = whole.get("payload", {}).get("listens") if isinstance(whole, dict) else None
    if not isinstance(listens, list):
        raise FormatError(f"{name}: not a listening-history export (a JSON object Segue does "
                          "not know)")  # fmt: skip
    for index, item in enumerate(listens, start=1):
        yield listenbrainz(name, index, item if isinstance(item, dict) else {})


def _json_lines(name: str, stream: IO[str]) -> Iterator[Entry]:
    """One listen a line; an entry's index is its line number (blank lines are skipped)."""
    for index, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as error:
            yield Entry(name, index, Source.LISTENBRAINZ, error=f"not valid JSON ({error.args[0]})")
            continue
        yield listenbrainz(name, index, item if isinstance(item, dict) else {})
