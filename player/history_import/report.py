"""What an import read and did: the staged entries (a scratch database), the summary counts
with the most-played unmatched artists and tracks, and the per-entry TSV report.
"""

from __future__ import annotations

import csv
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from player.history_import.entries import Entry
from player.history_import.matcher import Matcher

REPORT_HEADER = ("file", "entry", "time", "artist", "title", "outcome", "path", "reason")
OUTCOMES = ("matched", "unmatched", "duplicate", "ignored", "error")
#: How many unmatched artists and tracks the summary names.
TOP = 10


def stage_schema(db: sqlite3.Connection) -> None:
    """Create the scratch tables: every entry read, and outcomes changed while writing."""
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, file TEXT, idx INTEGER, at REAL,"
        " source TEXT, artist TEXT, title TEXT, album TEXT, duration_ms INTEGER,"
        " played_ms INTEGER, skipped INTEGER, mbid TEXT, key TEXT UNIQUE, track_id INTEGER,"
        " track_ms INTEGER, path TEXT, outcome TEXT, reason TEXT)"
    )
    db.execute("CREATE TABLE changes (seq INTEGER PRIMARY KEY, outcome TEXT, reason TEXT)")


@dataclass(frozen=True, slots=True)
class StagedRow:
    """A matched or unmatched entry waiting to be written."""

    seq: int
    file: str
    index: int
    at: float
    source: str
    artist: str
    title: str
    album: str
    duration_ms: int | None
    played_ms: int | None
    skipped: bool
    mbid: str
    key: str
    track_id: int | None
    track_ms: int | None
    reason: str


class Staged:
    """The entries of one import, in a scratch SQLite database deleted when closed."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._seq = 0

    def add(self, entry: Entry, key: str, matcher: Matcher) -> None:
        """Stage one entry: matched, unmatched, ignored, an error, or a repeat within the run."""
        self._seq += 1
        track_id = track_ms = None
        path = ""
        if entry.error:
            outcome, reason, key_or_none = "error", entry.error, None
        elif entry.ignored:
            outcome, reason, key_or_none = "ignored", entry.ignored, None
        else:
            match = matcher.match(
                entry.artist, entry.title, entry.album, entry.duration_ms, entry.mbid
            )
            outcome = "unmatched" if match.track is None else "matched"
            reason, key_or_none = match.reason, key
            if match.track is not None:
                track_id, track_ms, path = match.track.id, match.track.duration_ms, match.track.path
        values = [self._seq, entry.file, entry.index, entry.played_at or None, entry.source.value,
                  entry.artist, entry.title, entry.album, entry.duration_ms, entry.played_ms,
                  entry.skipped, entry.mbid, key_or_none, track_id, track_ms, path, outcome,
                  reason]  # fmt: skip
        insert = "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        try:
            self.db.execute(insert, values)
        except sqlite3.IntegrityError:  # the same key earlier in this import
            values[12], values[16] = None, "duplicate"
            values[17] = "the same entry appears earlier in this import"
            self.db.execute(insert, values)

    def count(self) -> int:
        """Entries read."""
        return self._seq

    def to_write(self) -> int:
        """Entries that may become plays or kept entries."""
        row = self.db.execute(
            "SELECT count(*) FROM entries WHERE outcome IN ('matched', 'unmatched')"
        ).fetchone()
        return int(row[0])

    def in_time_order(self) -> Iterator[StagedRow]:
        """Matched and unmatched entries not marked otherwise since, oldest first."""
        rows = self.db.execute(
            "SELECT e.seq, file, idx, at, source, artist, title, album, duration_ms, played_ms,"
            " skipped, mbid, key, track_id, track_ms, e.reason FROM entries e"
            " LEFT JOIN changes c ON c.seq = e.seq"
            " WHERE e.outcome IN ('matched', 'unmatched') AND c.seq IS NULL ORDER BY at, e.seq"
        )
        for row in rows:
            (seq, file, idx, at, source, artist, title, album, duration_ms, played_ms, skipped,
             mbid, key, track_id, track_ms, reason) = row  # fmt: skip
            yield StagedRow(
                seq, file, idx, at, source, artist, title, album, duration_ms, played_ms,
                bool(skipped), mbid, key, track_id, track_ms, reason,
            )  # fmt: skip

    def keys(self, size: int) -> Iterator[list[tuple[str, int]]]:
        """The keys of matched and unmatched entries, ``size`` (key, seq) pairs at a time."""
        rows = self.db.execute("SELECT key, seq FROM entries WHERE key IS NOT NULL ORDER BY seq")
        while chunk := rows.fetchmany(size):
            yield chunk

    def change(self, seq: int, outcome: str, reason: str) -> None:
        """Record that writing found an entry to be something else (a duplicate)."""
        self.db.execute("INSERT OR REPLACE INTO changes VALUES (?, ?, ?)", (seq, outcome, reason))

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Report rows in reading order: file, entry, time, artist, title, outcome, path, reason."""
        for file, idx, at, artist, title, outcome, path, reason in self.db.execute(
            "SELECT e.file, e.idx, e.at, e.artist, e.title, coalesce(c.outcome, e.outcome),"
            " e.path, coalesce(c.reason, e.reason)"
            " FROM entries e LEFT JOIN changes c ON c.seq = e.seq ORDER BY e.seq"
        ):
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)) if at else ""
            yield file, idx, when, artist, title, outcome, path, reason

    def close(self) -> None:
        """Delete the scratch database."""
        self.db.close()


@dataclass
class ImportSummary:
    """The counts of one import and what was left unmatched.

    ``files`` counts the exports read (files in a folder or zip that are not exports are left
    out); ``problems`` holds one line per file that could not be read whole.
    """

    entries: int = 0
    matched: int = 0
    unmatched: int = 0
    duplicate: int = 0
    ignored: int = 0
    error: int = 0
    plays_added: int = 0
    weaker: int = 0
    files: int = 0
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)
    unmatched_artists: list[tuple[str, int]] = field(default_factory=list)
    unmatched_tracks: list[tuple[str, str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values."""
        return {
            "entries": self.entries, "matched": self.matched, "unmatched": self.unmatched,
            "duplicate": self.duplicate, "ignored": self.ignored, "error": self.error,
            "plays_added": self.plays_added, "weaker_matches": self.weaker, "files": self.files,
            "dry_run": self.dry_run, "problems": self.problems,
            "unmatched_artists": [{"artist": a, "entries": n} for a, n in self.unmatched_artists],
            "unmatched_tracks": [
                {"artist": a, "title": t, "entries": n} for a, t, n in self.unmatched_tracks
            ],
        }  # fmt: skip


def summarise(
    stage: Staged, problems: list[str], plays_added: int, *, files: int, dry_run: bool
) -> ImportSummary:
    """Count the staged outcomes (as writing left them) and name the most-played unmatched."""
    summary = ImportSummary(
        entries=stage.count(), plays_added=plays_added, files=files, dry_run=dry_run,
        problems=list(problems),
    )  # fmt: skip
    final = (
        "SELECT e.*, coalesce(c.outcome, e.outcome) AS final FROM entries e"
        " LEFT JOIN changes c ON c.seq = e.seq"
    )
    for outcome, n, weaker in stage.db.execute(
        f"SELECT final, count(*), sum(final = 'matched' AND reason LIKE 'weaker%') FROM ({final})"
        " GROUP BY final"
    ):
        setattr(summary, outcome, n)
        summary.weaker += weaker or 0
    summary.unmatched_artists = [
        (artist, n)
        for artist, n in stage.db.execute(
            f"SELECT min(artist), count(*) AS n FROM ({final}) WHERE final = 'unmatched'"
            f" GROUP BY lower(artist) ORDER BY n DESC, min(artist) LIMIT {TOP}"
        )
    ]
    summary.unmatched_tracks = [
        (artist, title, n)
        for artist, title, n in stage.db.execute(
            f"SELECT min(artist), min(title), count(*) AS n FROM ({final})"
            " WHERE final = 'unmatched' GROUP BY lower(artist), lower(title)"
            f" ORDER BY n DESC, min(artist) LIMIT {TOP}"
        )
    ]
    return summary


def write_report(stage: Staged, out: IO[str]) -> None:
    """One TSV row per entry read (header :data:`REPORT_HEADER`)."""
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(REPORT_HEADER)
    writer.writerows(stage.rows())
