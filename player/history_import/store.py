"""Running an import: entries read and matched into a scratch database, then written to the
library in one transaction (a kill leaves no partial import), and kept unmatched entries
attached after a scan.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy.exc import SQLAlchemyError

from player.db.engine import Database
from player.db.lock import LockCancelled, exclusive_lock, scan_lock_path
from player.history_import.entries import Entry
from player.history_import.formats import (
    HEAD_BYTES,
    ExportFile,
    FormatError,
    find_files,
    read_entries,
)
from player.history_import.matcher import LibraryTrack, Matcher
from player.history_import.normalise import artist_keys, title_key
from player.history_import.plays import PlayWriter, judged
from player.history_import.report import ImportSummary, Staged, stage_schema, summarise

log = logging.getLogger(__name__)

#: Entries between two looks at ``should_stop`` and the progress callback (and between two
#: batched writes).
TICK = 500
#: Keys looked up in one query (SQLite allows 32,766 parameters; older builds 999).
CHUNK = 500


class ImportCancelled(Exception):
    """``should_stop`` returned True; nothing was written."""


class ImportFailed(Exception):
    """Entries could not be held or the library could not be written (a full disk); nothing of
    the import was kept. The message says which, for a human."""


@dataclass(frozen=True)
class ImportProgress:
    """Where an import stands: ``done`` of ``total`` (bytes read, then entries written)."""

    done: int
    total: int
    text: str


def import_history(
    db: Database,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    progress: Callable[[ImportProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.time,
) -> tuple[ImportSummary, Staged]:
    """Import the exports under ``paths`` into the library's history.

    Every entry is read and matched first (into a scratch database that the operating system
    deletes when it is closed: memory stays bounded whatever the export's size); then plays,
    sessions and the kept entries are written in one transaction, rolled back for ``dry_run``.
    An import holds the library's scan lock: it waits for a running scan (so it matches against
    every file the scan found) and a scan waits for it.

    Returns:
        The counts, and the staged entries (for the report; close it when done).

    Raises:
        ImportCancelled: ``should_stop`` said so; the library is as it was.
        ImportFailed: The entries could not be held, or the library could not be written (a
            full disk); the library is as it was.
    """
    stop = should_stop or (lambda: False)
    tell = progress or (lambda _p: None)
    waiting = f"A scan or another import of {db.path} is running; waiting for it to finish"
    try:
        with exclusive_lock(scan_lock_path(db.path), waiting=waiting, should_stop=stop):
            return _import(db, paths, dry_run, tell, stop, clock)
    except LockCancelled:
        raise ImportCancelled from None


def _import(
    db: Database,
    paths: Sequence[Path],
    dry_run: bool,
    tell: Callable[[ImportProgress], None],
    stop: Callable[[], bool],
    clock: Callable[[], float],
) -> tuple[ImportSummary, Staged]:
    """:func:`import_history` once it holds the library's scan lock."""
    files, problems = find_files(paths)
    stage = Staged(sqlite3.connect(""))
    try:
        stage_schema(stage.db)
        matcher = Matcher(_library(db))
        try:
            not_exports = _read_all(files, stage, matcher, problems, tell, stop)
        except sqlite3.Error as error:
            raise ImportFailed(
                f"could not hold the entries in a temporary file ({error})"
            ) from error
        try:
            plays = _write_all(db, stage, files, clock(), tell, stop, dry_run=dry_run)
        except (sqlite3.Error, SQLAlchemyError, OSError) as error:
            cause = getattr(error, "orig", None) or error
            raise ImportFailed(f"could not write to {db.path} ({cause})") from error
    except BaseException:
        stage.db.close()
        raise
    summary = summarise(stage, problems, plays, files=len(files) - not_exports, dry_run=dry_run)
    log.info("Imported %s", summary.as_dict())
    return summary, stage


def _write_all(
    db: Database,
    stage: Staged,
    files: Sequence[ExportFile],
    now: float,
    tell: Callable[[ImportProgress], None],
    stop: Callable[[], bool],
    *,
    dry_run: bool,
) -> int:
    """:func:`_write` in one transaction, committed (or rolled back for a dry run)."""
    with db.session() as s:
        transaction = s.begin()
        try:
            raw = cast(sqlite3.Connection, s.connection().connection.dbapi_connection)
            plays = _write(raw.cursor(), stage, files, now, tell, stop)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return plays


def import_summary(
    db: Database,
    paths: Sequence[Path],
    progress: Callable[[ImportProgress], None],
    should_stop: Callable[[], bool],
) -> ImportSummary:
    """:func:`import_history` for the window: the summary only (no report)."""
    summary, stage = import_history(db, paths, progress=progress, should_stop=should_stop)
    stage.close()
    return summary


def entry_key(entry: Entry) -> str:
    """What makes two entries the same listen: source, the minute the export stamps it with,
    artist and title keys, and the milliseconds heard where the export says (Spotify).

    The minute, not the second: exports of one history made by different tools (unix seconds in
    one, ``08 Sep 2018 11:52`` in another; Spotify's account data and its extended history) then
    agree, so importing both adds each listen once. Spotify logs a fragment and the play that
    follows it within one minute: what was heard keeps them apart (this assumes the account data
    and the extended history give one stream the same milliseconds).
    """
    minute = int(round(entry.stamp or entry.played_at, 3) // 60)
    heard = "" if entry.played_ms is None else str(entry.played_ms)
    return "\x1f".join(
        (entry.source.value, str(minute), artist_keys(entry.artist)[0], title_key(entry.title),
         heard)
    )  # fmt: skip


def _library(db: Database) -> Iterator[LibraryTrack]:
    with db.session() as s:
        rows = s.connection().exec_driver_sql(
            "SELECT id, path, artist, album_artist, title, album, duration_ms, available, mbid"
            " FROM tracks"
        )
        for id_, path, artist, album_artist, title, album, duration_ms, available, mbid in rows:
            yield LibraryTrack(
                id_, os.fsdecode(path), artist or album_artist, title, album, duration_ms,
                bool(available), mbid,
            )  # fmt: skip


def _read_all(
    files: Sequence[ExportFile],
    stage: Staged,
    matcher: Matcher,
    problems: list[str],
    tell: Callable[[ImportProgress], None],
    stop: Callable[[], bool],
) -> int:
    """Read and match every file into ``stage``; returns how many were not exports."""
    total = sum(f.size for f in files) or 1
    before = 0
    not_exports = 0
    for export in files:
        try:
            with _opened(export) as data:
                for n, entry in enumerate(read_entries(export, data), start=1):
                    stage.add(entry, entry_key(entry), matcher)
                    if n % TICK == 0:
                        if stop():
                            raise ImportCancelled
                        done = before + _tell(data.raw)
                        tell(ImportProgress(done, total, f"Reading {Path(export.name).name}"))
        except FormatError as error:
            if error.unknown and not export.named:
                not_exports += 1
                log.info("Not a listening-history export, left alone: %s", error)
            else:
                problems.append(str(error))
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            problems.append(f"{export.name}: cannot read it ({error})")
        before += export.size
    return not_exports


@contextmanager
def _opened(export: ExportFile) -> Iterator[io.BufferedReader]:
    with export.opener() as raw, io.BufferedReader(cast(Any, raw), HEAD_BYTES) as data:
        yield data


def _tell(raw: Any) -> int:
    try:
        return int(raw.tell())
    except (OSError, ValueError):
        return 0


def _write(
    cur: sqlite3.Cursor,
    stage: Staged,
    files: Sequence[ExportFile],
    now: float,
    tell: Callable[[ImportProgress], None],
    stop: Callable[[], bool],
) -> int:
    """Write the staged plays and entries (in the caller's transaction); returns plays added."""
    # The first statement writes, so the write lock is held before any id is read.
    cur.execute(
        "INSERT INTO imports (at, files, entries, plays_added) VALUES (?, ?, 0, 0)",
        (now, "\n".join(f.name for f in files)),
    )
    import_id = cur.lastrowid
    _mark_imported_before(cur, stage)
    writer = PlayWriter(cur)
    kept: list[tuple[object, ...]] = []
    total = stage.to_write()
    for n, row in enumerate(stage.in_time_order(), start=1):
        if n % TICK == 0:
            if stop():
                raise ImportCancelled
            tell(ImportProgress(n, total, "Writing history"))
            _keep(cur, kept)
        play_id = None
        reason = row.reason
        if row.track_id is not None:
            heard = writer.already_heard(row.track_id, row.at, row.source, row.track_ms)
            if heard:
                stage.change(row.seq, "duplicate", heard)
                reason = heard
            else:
                outcome, played_ms = judged(
                    row.skipped, row.played_ms, row.track_ms, row.duration_ms
                )
                play_id = writer.add(row.at, row.track_id, row.source, outcome, played_ms)
        kept.append(
            (row.key, import_id, row.source, row.file, row.index, row.at, row.artist, row.title,
             row.album, row.duration_ms, row.played_ms, row.skipped, row.mbid, row.track_id,
             play_id, reason)
        )  # fmt: skip
    _keep(cur, kept)
    writer.close()
    cur.execute(
        "UPDATE imports SET entries = ?, plays_added = ? WHERE id = ?",
        (stage.count(), writer.plays_added, import_id),
    )
    return writer.plays_added


def _mark_imported_before(cur: sqlite3.Cursor, stage: Staged) -> None:
    """Mark the staged entries an earlier import already kept (looked up a chunk at a time)."""
    if cur.execute("SELECT 1 FROM imported_entries LIMIT 1").fetchone() is None:
        return
    for chunk in stage.keys(CHUNK):
        by_key = dict(chunk)
        marks = ", ".join("?" * len(by_key))
        for (key,) in cur.execute(
            f"SELECT key FROM imported_entries WHERE key IN ({marks})", list(by_key)
        ):
            stage.change(by_key[key], "duplicate", "imported before")


def _keep(cur: sqlite3.Cursor, kept: list[tuple[object, ...]]) -> None:
    """Write the entries gathered so far to ``imported_entries``."""
    cur.executemany(
        "INSERT INTO imported_entries (key, import_id, source, file, entry, played_at, artist,"
        " title, album, duration_ms, played_ms, skipped, mbid, track_id, play_id, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        kept,
    )
    kept.clear()


_WAITING = (
    "SELECT id, source, played_at, artist, title, album, duration_ms, played_ms, skipped, mbid"
    " FROM imported_entries WHERE track_id IS NULL"
)


def attach_unmatched(db: Database) -> int:
    """Match the kept unmatched entries again (after a scan); returns the plays this added.

    One transaction; the library is read only when unmatched entries exist.
    """
    with db.session() as s, s.begin():
        raw = cast(sqlite3.Connection, s.connection().connection.dbapi_connection)
        cur = raw.cursor()
        if cur.execute(_WAITING + " LIMIT 1").fetchone() is None:
            return 0
        matcher = Matcher(_library(db))
        found: list[tuple[int, str, float, LibraryTrack, int | None, int | None, bool, str]] = []
        for (
            id_,
            source,
            at,
            artist,
            title,
            album,
            duration_ms,
            played_ms,
            skipped,
            mbid,
        ) in raw.execute(
            _WAITING + " ORDER BY played_at, id"
        ):  # streamed: only the entries that now match are held
            match = matcher.match(artist, title, album, duration_ms, mbid)
            if match.track is not None:
                found.append((id_, source, at, match.track, duration_ms, played_ms, bool(skipped),
                               match.reason))  # fmt: skip
        if not found:
            return 0
        cur.execute("UPDATE imports SET plays_added = plays_added WHERE 0")  # takes the write lock
        writer = PlayWriter(cur)
        for id_, source, at, track, duration_ms, played_ms, skipped, note in found:
            reason = writer.already_heard(track.id, at, source, track.duration_ms)
            play_id = None
            if not reason:
                outcome, heard = judged(skipped, played_ms, track.duration_ms, duration_ms)
                play_id = writer.add(at, track.id, source, outcome, heard)
                reason = note
            cur.execute(
                "UPDATE imported_entries SET track_id = ?, play_id = ?, reason = ? WHERE id = ?",
                (track.id, play_id, reason, id_),
            )
        writer.close()
    if writer.plays_added:
        log.info("Attached %d imported plays to files a scan found", writer.plays_added)
    return writer.plays_added
