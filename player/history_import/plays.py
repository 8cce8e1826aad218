"""Writing imported plays into history: sessions by the player's gap rule, the same events the
tracker writes (started, then finished or skipped), and the check for a play already there.

Used inside one open transaction by an import and by attaching entries after a scan; statements
go through the raw ``sqlite3`` cursor of that transaction (bulk work, without the ORM's cost
per row).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from player.history import SESSION_GAP_S, STARTED
from player.plugin_api import Origin, Outcome

#: Sessions built from imports (plays keep the service they came from).
IMPORTED_SESSION = "import"
#: A play of the same track starting this close to an imported one is the same listen (a
#: Spotify play also scrobbled to Last.fm, a Segue play scrobbled and imported back).
SAME_LISTEN_S = 120.0
#: A Spotify play counts as finished when this share of the file was heard, or all but
#: :data:`END_SLACK_MS` of it; otherwise it is a skip, as Segue's own history would record it.
FINISHED_FRACTION = 0.9
END_SLACK_MS = 10_000
#: Play events held before they are written together (they are read only after the import).
EVENT_BATCH = 2_000
#: With no length to compare (the file has none), a Spotify play shorter than this is a skip.
SHORT_PLAY_MS = 30_000


def judged(
    skipped: bool, played_ms: int | None, track_ms: int | None, entry_ms: int | None
) -> tuple[Outcome, int]:
    """The outcome and heard milliseconds an imported play is recorded with.

    Args:
        skipped: The export says it was skipped.
        played_ms: What the export says was heard (Spotify), else ``None``: a scrobble, which
            services send only for a track heard through.
        track_ms: The matched file's length.
        entry_ms: The length the export gives.
    """
    length = track_ms or entry_ms
    if played_ms is None:
        return (Outcome.SKIPPED if skipped else Outcome.FINISHED), length or 0
    if skipped:
        return Outcome.SKIPPED, played_ms
    if length:
        enough = min(length * FINISHED_FRACTION, length - END_SLACK_MS)
        return (Outcome.FINISHED if played_ms >= enough else Outcome.SKIPPED), played_ms
    return (Outcome.FINISHED if played_ms >= SHORT_PLAY_MS else Outcome.SKIPPED), played_ms


@dataclass(slots=True)
class _Open:
    id: int
    started_at: float
    last_at: float


class PlayWriter:
    """Appends imported plays, given in time order, to history.

    A play opens a new session when it starts more than the player's session gap after the
    last one ended; a new session joins an imported session already there when the gap rule
    says they are one (entries attached after a scan rejoin their neighbours).
    """

    def __init__(self, cursor: sqlite3.Cursor, *, gap_s: float = SESSION_GAP_S) -> None:
        self._cur = cursor
        self._gap = gap_s
        self._session: _Open | None = None
        self._next_play = (cursor.execute("SELECT max(id) FROM plays").fetchone()[0] or 0) + 1
        # Sources with plays: a listen can only be told twice by two different ones.
        self._sources = {row[0] for row in cursor.execute("SELECT DISTINCT source FROM plays")}
        self._events: list[tuple[int, str, float, int, int]] = []
        self.plays_added = 0
        self.sessions_touched = 0

    def already_heard(self, track_id: int, at: float, source: str, length_ms: int | None) -> str:
        """Why a play of ``track_id`` at ``at`` is already in history from another source, or
        ``""`` (repeats within one source are told apart by their own times).

        The window is :data:`SAME_LISTEN_S`, or half the track when that is shorter, so a short
        track played twice in a row stays two plays.
        """
        if not self._sources - {source}:
            return ""
        window = SAME_LISTEN_S if not length_ms else min(SAME_LISTEN_S, length_ms / 2000.0)
        row = self._cur.execute(
            "SELECT source, started_at FROM plays WHERE track_id = ? AND source != ?"
            " AND started_at BETWEEN ? AND ? LIMIT 1",
            (track_id, source, at - window, at + window),
        ).fetchone()
        if row is None:
            return ""
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(row[1]))
        return f"already in history (a {row[0]} play at {when} UTC)"

    def add(self, at: float, track_id: int, source: str, outcome: Outcome, played_ms: int) -> int:
        """Write one play (started at ``at``) and its events; returns the play's id."""
        session = self._session
        if session is None or at - session.last_at > self._gap:
            self._finish()
            session = self._session = self._open(at)
        play_id = self._next_play
        self._next_play += 1
        self._cur.execute(
            "INSERT INTO plays (id, session_id, track_id, origin, started_at, source)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (play_id, session.id, track_id, Origin.USER.value, at, source),
        )
        end = at + played_ms / 1000.0
        self._sources.add(source)
        self._events += ((play_id, STARTED, at, 0, 0), (play_id, outcome.value, end, played_ms,
                                                         played_ms))  # fmt: skip
        if len(self._events) >= EVENT_BATCH:
            self._flush_events()
        session.started_at = min(session.started_at, at)
        session.last_at = max(session.last_at, end)
        self.plays_added += 1
        return play_id

    def close(self) -> None:
        """Write the times of the last session and the events still held (call once, after
        the last play)."""
        self._finish()
        self._session = None
        self._flush_events()

    def _flush_events(self) -> None:
        self._cur.executemany(
            "INSERT INTO play_events (play_id, kind, at, position_ms, played_ms, message)"
            " VALUES (?, ?, ?, ?, ?, '')",
            self._events,
        )
        self._events.clear()

    def _open(self, at: float) -> _Open:
        row = self._cur.execute(
            "SELECT id, started_at, last_activity_at FROM sessions"
            " WHERE source = ? AND started_at <= ? ORDER BY started_at DESC LIMIT 1",
            (IMPORTED_SESSION, at + self._gap),
        ).fetchone()
        if row is not None and row[2] >= at - self._gap:
            return _Open(row[0], row[1], row[2])
        self._cur.execute(
            "INSERT INTO sessions (started_at, last_activity_at, closed_at, source)"
            " VALUES (?, ?, ?, ?)",
            (at, at, at, IMPORTED_SESSION),
        )
        assert self._cur.lastrowid is not None
        return _Open(self._cur.lastrowid, at, at)

    def _finish(self) -> None:
        session = self._session
        if session is None:
            return
        self._cur.execute(
            "UPDATE sessions SET started_at = ?, last_activity_at = ?, closed_at = ? WHERE id = ?",
            (session.started_at, session.last_at, session.last_at, session.id),
        )
        self.sessions_touched += 1
