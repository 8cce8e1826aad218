"""Carrying over what can still be read from a corrupt library into its fresh replacement.

Like the sqlite3 shell's ``.recover``, row by row: each table of the set-aside file is read in
rowid ranges, and a range that raises is read again one row at a time, so one damaged page
costs only its own rows. Rows whose track, session or play did not survive are dropped.
"""

from __future__ import annotations

import logging
import sqlite3
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

#: Parents before children, so foreign keys can be checked once at the end.
TABLES = ("tracks", "sessions", "plays", "play_events", "playlists", "playlist_entries")
CHUNK = 256


def salvage(damaged: Path, fresh: Path) -> dict[str, int]:
    """Copy the readable rows of ``damaged`` into ``fresh`` (new schema, empty); returns the
    rows kept per table. Never raises for what it cannot read; logs it."""
    kept: dict[str, int] = {}
    uri = "file:" + urllib.request.pathname2url(str(damaged)) + "?mode=ro"
    try:
        source = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        log.warning("nothing could be read from %s: %s", damaged, exc)
        return kept
    target = sqlite3.connect(fresh)
    try:
        target.execute("PRAGMA foreign_keys=OFF")
        with target:
            for table in TABLES:
                kept[table] = _copy_table(source, target, table)
            orphans = target.execute("PRAGMA foreign_key_check").fetchall()
            for table, rowid, *_ in orphans:
                target.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
                kept[table] -= 1
    finally:
        target.close()
        source.close()
    log.info("recovered from %s: %s", damaged, kept)
    return kept


def _copy_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> int:
    try:
        wanted = [row[1] for row in target.execute(f'PRAGMA table_info("{table}")')]
        present = {row[1] for row in source.execute(f'PRAGMA table_info("{table}")')}
        top = source.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
    except sqlite3.Error as exc:
        log.warning("table %s could not be read: %s", table, exc)
        return 0
    columns = [c for c in wanted if c in present]
    if not columns:
        return 0
    names = ", ".join(f'"{c}"' for c in columns)
    select = f'SELECT {names} FROM "{table}" WHERE rowid BETWEEN ? AND ?'
    insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    copied = 0
    for start in range(0, top + 1, CHUNK):
        for rows in _readable(source, select, start, min(top, start + CHUNK - 1)):
            copied += sum(target.execute(insert, row).rowcount for row in rows)
    return copied


def _readable(
    source: sqlite3.Connection, select: str, first: int, last: int
) -> list[list[tuple[object, ...]]]:
    """The rows of rowids ``first``..``last`` that can be read (a damaged range row by row)."""
    try:
        return [source.execute(select, (first, last)).fetchall()]
    except sqlite3.DatabaseError:
        pass
    out = []
    for rowid in range(first, last + 1):
        try:
            out.append(source.execute(select, (rowid, rowid)).fetchall())
        except sqlite3.DatabaseError:
            continue
    return out
