"""Walking music folders into the library: incremental, cancelable, committed in batches.

One ``os.scandir`` walk (:mod:`player.listing`) lists every audio file with its size and mtime; one
query loads what the database knows (path, size, mtime) into a dict. Only new or changed files are
read (mutagen), and rows are written with bulk Core statements every ``batch_size`` files, so a
killed scan leaves a consistent database and a table refreshed meanwhile sees rows appear.

A file that vanished is marked unavailable (never deleted); it is restored when it returns, also
under another path (a *move*: same title, artist, album, duration and size). Given ``paths`` (the
folder watcher's changes), a scan looks only at those files and folders. Playlist entries
still waiting for their file are attached after a scan that found files
(``player.playlists.attach``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from player.db.engine import Database
from player.db.lock import LockCancelled, exclusive_lock, scan_lock_path
from player.db.models import Track
from player.history_import.store import attach_unmatched
from player.listing import Found, list_paths, targets, under, walk
from player.playlists.attach import attach_entries
from player.replaygain import ReplayGain
from player.tags import TagError, TagInfo, read_tags

log = logging.getLogger(__name__)

TRACKS = cast(Table, Track.__table__)
_NO_GAIN = ReplayGain()
BATCH_SIZE = 200
PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class ScanProgress:
    """Where a scan stands; ``total`` is 0 while the folders are still being listed."""

    done: int
    total: int
    path: str


@dataclass
class ScanReport:
    """What a scan did. ``missing`` counts tracks newly marked unavailable by this scan."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    restored: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    cancelled: bool = False
    moved: int = 0  # found under a new path: the old row (and its history) follows the file
    attached: int = 0  # imported plays that waited for a file this scan found
    touched: list[str] = field(default_factory=list)  # paths of the rows this scan changed
    playlist_entries: int = 0  # playlist entries that found their file in this scan

    @property
    def changed(self) -> bool:
        """Whether the scan changed the library or found a file it could not read."""
        counts = (self.added, self.updated, self.missing, self.restored, self.moved)
        return any(counts) or bool(self.failed)


@dataclass(slots=True)
class _Known:
    id: int
    size: int
    mtime: float
    available: bool
    cover: str | None


class _Progress:
    """Throttles progress callbacks to a few per second (first and last always sent)."""

    def __init__(self, callback: Callable[[ScanProgress], None] | None) -> None:
        self._callback = callback
        self._last = 0.0

    def __call__(self, done: int, total: int, path: str, *, force: bool = False) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now
            self._callback(ScanProgress(done, total, path))


def scan(
    db: Database,
    folders: Sequence[Path],
    *,
    progress: Callable[[ScanProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = BATCH_SIZE,
    paths: Sequence[Path] | None = None,
) -> ScanReport:
    """Bring the library up to date with ``folders`` (or with ``paths`` under them).

    Args:
        db: The library database.
        folders: Music folders, scanned recursively (symlinks followed, loops detected).
        progress: Called a few times per second: once with ``total == 0`` while listing, then
            with ``done``/``total`` files handled (always once at ``done == unchanged files``
            before any file is read, and at the end).
        should_stop: Checked before each folder is listed and each file is read, and while
            waiting for another scan; returning True cancels the scan (what was read so far is
            kept; nothing is marked missing).
        batch_size: Files written per transaction.
        paths: Look only at these files and folders (the watcher's changes): a folder is walked,
            a file read when new or changed, and a vanished one marked missing (or followed to
            where it moved). Paths outside every folder of ``folders``, inside one that is not
            there (an unmounted disk) or hidden (a dot name) are left alone.

    Scans of one library run one after the other, also across processes: a scan holds an
    exclusive lock on ``<database>.scan.lock`` from reading what the library knows to its last
    write, so a second scan waits, then sees the first one's rows instead of inserting the same
    paths again. A scan that found new or changed files then matches the imported entries that
    were waiting for their files (``ScanReport.attached``: plays added to history).
    """
    stop = should_stop or (lambda: False)
    waiting = f"Another scan of {db.path} is running; waiting for it to finish"
    try:
        with exclusive_lock(scan_lock_path(db.path), waiting=waiting, should_stop=stop):
            report = _scan(db, folders, paths, progress, stop, batch_size)
            if not report.cancelled and (report.added or report.updated or report.moved
                                         or report.restored):  # fmt: skip
                report.attached = _attach(db)
                report.playlist_entries = _attach_playlist_entries(db)
            return report
    except LockCancelled:
        log.info("Scan cancelled while waiting for another scan; nothing was changed")
        return ScanReport(cancelled=True)


def _attach(db: Database) -> int:
    """Attach waiting imported entries; a failure is logged and leaves them waiting (the scan
    itself is done and kept)."""
    try:
        return attach_unmatched(db)
    except (SQLAlchemyError, sqlite3.Error):
        log.warning("Imported entries could not be attached after the scan", exc_info=True)
        return 0


def _attach_playlist_entries(db: Database) -> int:
    """Attach playlist entries waiting for a file; a failure is logged and leaves them waiting."""
    try:
        return attach_entries(db)
    except (SQLAlchemyError, sqlite3.Error):
        log.warning("Playlist entries could not be attached after the scan", exc_info=True)
        return 0


def _scan(
    db: Database,
    folders: Sequence[Path],
    paths: Sequence[Path] | None,
    progress: Callable[[ScanProgress], None] | None,
    stop: Callable[[], bool],
    batch_size: int,
) -> ScanReport:
    report = ScanReport()
    notify = _Progress(progress)
    roots = [os.path.abspath(os.fspath(folder)) for folder in folders]
    if paths is None:
        found, blind = walk(roots, report, notify, stop)
        scope = roots
    else:
        scope = targets(roots, paths)
        found, blind = list_paths(scope, report, notify, stop)
    if report.cancelled:
        log.info("Scan cancelled while listing folders; nothing was changed")
        return report
    known = _load_known(db)
    writer = _Writer(db, batch_size)
    to_read: list[tuple[Found, _Known | None]] = []
    seen: set[int] = set()
    for item in found:
        row = known.get(item.path)
        if row is None:
            to_read.append((item, None))
            continue
        seen.add(row.id)
        if row.size != item.size or row.mtime != item.mtime:
            to_read.append((item, row))
        elif not row.available:
            writer.update(row.id, available=True, cover_path=item.cover)
            report.restored += 1
            report.touched.append(item.path)
        elif row.cover != item.cover:
            writer.update(row.id, cover_path=item.cover)
            report.updated += 1
            report.touched.append(item.path)
        else:
            report.unchanged += 1
    gone = {
        row.id: path
        for path, row in known.items()
        if row.id not in seen and under(path, scope) and not under(path, blind)
    }
    total = len(found)
    done = total - len(to_read)
    notify(done, total, "", force=True)
    movable = _MoveMatcher(db, gone, seen) if any(r is None for _, r in to_read) else None
    for item, row in to_read:
        if stop():
            report.cancelled = True
            break
        done += 1
        notify(done, total, item.path)
        _read_one(item, row, writer, movable, report)
        writer.tick()
    if not report.cancelled:
        for track_id in gone:
            writer.update(track_id, available=False, only_if_available=True)
        report.missing = writer.flush()
        report.touched.extend(gone.values())
    else:
        writer.flush()
    notify(done, total, "", force=True)
    log.info(
        "Scan of %s%s: %d added, %d updated, %d unchanged, %d moved, %d missing, %d restored, "
        "%d failed%s",
        ", ".join(roots), "" if paths is None else f" ({len(scope)} changed paths)",
        report.added, report.updated, report.unchanged, report.moved, report.missing,
        report.restored, len(report.failed),
        " (cancelled)" if report.cancelled else "",
    )  # fmt: skip
    return report


def _read_one(
    item: Found,
    row: _Known | None,
    writer: _Writer,
    movable: _MoveMatcher | None,
    report: ScanReport,
) -> None:
    try:
        info = read_tags(item.path)
    except TagError as error:
        log.warning("Cannot read %r: %s", item.path, error)
        _fail(item, row, writer, report, str(error))
        return
    except Exception as error:  # a bug reading one file's tags must not stop the whole scan
        log.exception("Unexpected error reading the tags of %r", item.path)
        reason = f"unexpected error reading the tags ({type(error).__name__}: {error})"
        _fail(item, row, writer, report, reason)
        return
    values = _values(item, info)
    report.touched.append(item.path)
    if row is not None:
        writer.update(row.id, **values)
        if row.available:
            report.updated += 1
        else:
            report.restored += 1
        return
    moved = movable.take(info, item.size) if movable else None
    if moved is not None:
        log.info("%r moved to %r", moved[1], item.path)
        writer.update(moved[0], path=item.path, **values)
        report.moved += 1
    else:
        writer.insert({"path": item.path, "added_at": time.time(), **values})
        report.added += 1


def _fail(
    item: Found, row: _Known | None, writer: _Writer, report: ScanReport, reason: str
) -> None:
    """Report the file by path and reason; a known track whose file fails to read is unavailable."""
    report.failed.append((item.path, reason))
    if row is not None and row.available:
        writer.update(row.id, available=False)
        report.touched.append(item.path)


def _values(item: Found, info: TagInfo) -> dict[str, Any]:
    gain = info.replaygain or _NO_GAIN
    return {
        "title": info.title,
        "artist": info.artist,
        "album_artist": info.album_artist,
        "album": info.album,
        "track_number": info.track_number,
        "disc_number": info.disc_number,
        "genre": info.genre,
        "year": info.year,
        "duration_ms": info.duration_ms,
        "codec": info.codec,
        "has_embedded_cover": info.has_embedded_cover,
        "mbid": info.mbid,
        "size": item.size,
        "mtime": item.mtime,
        "cover_path": item.cover,
        "available": True,
        "track_gain": gain.track_gain,
        "track_peak": gain.track_peak,
        "album_gain": gain.album_gain,
        "album_peak": gain.album_peak,
    }


def _load_known(db: Database) -> dict[str, _Known]:
    """One query: every known path with what decides whether the file must be read again."""
    query = select(
        TRACKS.c.path, TRACKS.c.id, TRACKS.c.size, TRACKS.c.mtime, TRACKS.c.available,
        TRACKS.c.cover_path,
    )  # fmt: skip
    with db.engine.connect() as connection:
        return {
            path: _Known(track_id, size, mtime, bool(available), cover)
            for path, track_id, size, mtime, available, cover in connection.execute(query)
        }


class _MoveMatcher:
    """Finds, for a new file, the track it used to be: same title, artist, album, duration, size.

    Candidates are tracks whose file is gone: vanished in this scan, already unavailable, or
    outside the scanned folders and no longer on disk (checked only when the tags match), so a
    move is recognised even when only the new folder is scanned.
    """

    def __init__(self, db: Database, gone: dict[int, str], seen: set[int]) -> None:
        query = select(
            TRACKS.c.id, TRACKS.c.path, TRACKS.c.available, TRACKS.c.title, TRACKS.c.artist,
            TRACKS.c.album, TRACKS.c.duration_ms, TRACKS.c.size,
        ).order_by(TRACKS.c.id)  # fmt: skip
        self._gone = gone
        self._by_key: dict[tuple[Any, ...], list[tuple[int, str, bool]]] = {}
        with db.engine.connect() as connection:
            for track_id, path, available, *key in connection.execute(query):
                if track_id not in seen:
                    sure = track_id in gone or not available
                    self._by_key.setdefault(tuple(key), []).append((track_id, path, sure))

    def take(self, info: TagInfo, size: int) -> tuple[int, str] | None:
        """Return (track id, old path) of the track this file used to be, and forget it."""
        key = (info.title, info.artist, info.album, info.duration_ms, size)
        candidates = self._by_key.get(key, [])
        for index, (track_id, path, sure) in enumerate(candidates):
            if sure or not os.path.lexists(path):
                del candidates[index]
                self._gone.pop(track_id, None)
                return track_id, path
        return None


class _Writer:
    """Collects inserts and updates and writes them in one transaction per batch."""

    def __init__(self, db: Database, batch_size: int) -> None:
        self._db = db
        self._batch_size = max(1, batch_size)
        self._pending = 0
        self._inserts: list[dict[str, Any]] = []
        self._updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._guarded: list[dict[str, Any]] = []
        self.guarded_changed = 0

    def insert(self, values: dict[str, Any]) -> None:
        self._inserts.append(values)

    def update(self, track_id: int, *, only_if_available: bool = False, **values: Any) -> None:
        values["_id"] = track_id
        if only_if_available:
            self._guarded.append(values)
        else:
            self._updates.setdefault(tuple(sorted(values)), []).append(values)

    def tick(self) -> None:
        self._pending += 1
        if self._pending >= self._batch_size:
            self.flush()

    def flush(self) -> int:
        """Write everything pending; returns how many guarded updates changed a row (in total)."""
        self._pending = 0
        if not (self._inserts or self._updates or self._guarded):
            return self.guarded_changed
        with self._db.engine.begin() as connection:
            if self._inserts:
                # Scans are serialised (scan lock); a path inserted meanwhile by anything else
                # is left as it is rather than failing the whole batch.
                adding = sqlite_insert(TRACKS).on_conflict_do_nothing(index_elements=["path"])
                connection.execute(adding, self._inserts)
            for rows in self._updates.values():
                statement = update(TRACKS).where(TRACKS.c.id == bindparam("_id"))
                connection.execute(statement, rows)
            for values in self._guarded:
                statement = (
                    update(TRACKS)
                    .where(TRACKS.c.id == values["_id"], TRACKS.c.available.is_(True))
                    .values({k: v for k, v in values.items() if k != "_id"})
                )
                self.guarded_changed += connection.execute(statement).rowcount
        self._inserts, self._updates, self._guarded = [], {}, []
        return self.guarded_changed
