"""Append-only listening history: plays, their events, and sessions split by gaps.

A play's outcome is its terminal event (``finished``, ``skipped`` or ``failed``); a failed play is
never a skip. Quitting while a track plays writes an ``interrupted`` event (where it stood, what
was heard): that is neither a skip nor a finish. If the next run resumes the same track from the
saved position, a ``resumed`` event continues the *same* play, and its terminal event carries the
total heard. A play left without a terminal event (quit and never resumed, or a crash) is counted
by ``stats`` as interrupted; in the :class:`SessionRecord` given to plugins it keeps the player's
rule for a partial play: ``skipped`` with the ``played_ms`` it recorded, so the plugin judges it by
the fraction heard (the recommender drops an early one and keeps a late one as a weak positive).
The session holding an interrupted play is told to plugins only once that play is settled: when
the resumed play ends, or when another play starts instead; so they learn its final outcome once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from player.db.engine import Database
from player.db.models import ImportedEntry, ListeningSession, Play, PlayEvent, Track
from player.plugin_api import Origin, Outcome, PlayRecord, SessionRecord

log = logging.getLogger(__name__)

STARTED = "started"
POSITION = "position"
INTERRUPTED = "interrupted"
RESUMED = "resumed"
TERMINAL = frozenset(o.value for o in Outcome)
#: Silence after which the next play opens a new listening session (imports split by it too).
SESSION_GAP_S = 1800.0
#: ``Play.source`` of a play heard in Segue (imported ones name their service).
LOCAL = "local"


@dataclass(frozen=True)
class HistoryStats:
    """Counts for ``segue stats``: outcomes are counted from their events, one per play.

    ``interrupted`` counts plays of closed sessions that have no outcome (quit and not resumed,
    or a crash): neither skipped nor finished.
    """

    tracks: int
    available: int
    plays: int
    finished: int
    skipped: int
    failed: int
    interrupted: int
    sessions: int
    imported: dict[str, int] = field(default_factory=dict)  # plays by the service they came from
    unmatched: int = 0  # imported entries still waiting for their files
    imported_sessions: int = 0  # of ``sessions``, those built from imported plays


@dataclass(frozen=True)
class InterruptedPlay:
    """The last play, cut off by quitting; resuming that track continues it."""

    play_id: int
    track_id: int
    position_ms: int
    played_ms: int
    session_id: int


class History:
    """Records plays and groups them into listening sessions.

    Args:
        db: The library database.
        clock: Returns the current time in seconds since the epoch (injected in tests).
        session_gap_s: Silence after which the next play opens a new session.
        on_session_closed: Called with each session this object closes.
        position_interval_s: ``play_position`` calls closer together than this (per play) are
            not stored, so a caller may report often without bloating the history.
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        session_gap_s: float = SESSION_GAP_S,
        on_session_closed: Callable[[SessionRecord], None] | None = None,
        position_interval_s: float = 5.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._gap = session_gap_s
        self._on_closed = on_session_closed
        self._position_interval = position_interval_s
        self._last_position_at: dict[int, float] = {}

    # -- writing -------------------------------------------------------------------------------

    def start_app_session(self) -> None:
        """Close every session left open (a crash or the last run); the next play opens a new one.

        Sessions are closed at their last activity.
        """
        with self._db.session() as s, s.begin():
            stale = s.scalars(
                select(ListeningSession).where(ListeningSession.closed_at.is_(None))
            ).all()
            for open_session in stale:
                open_session.closed_at = open_session.last_activity_at
            ids = [o.id for o in stale]
            held = self._held_session(s)  # quit interrupted its last play: told once settled
        if ids:
            log.info("Closed %d listening session(s) left open by the last run", len(ids))
        self._notify([i for i in ids if i != held])

    def play_started(self, track_id: int, origin: Origin) -> int:
        """Record that a track started; returns the new play's id.

        A gap longer than ``session_gap_s`` since the last activity closes the open session first.
        """
        now = self._clock()
        closed: list[int] = []
        with self._db.session() as s, s.begin():
            held = self._held_session(s)
            if held is not None:  # another play starts: the interrupted one is settled as it is
                closed.append(held)
            current = self._open_session(s)
            if current is not None and now - current.last_activity_at > self._gap:
                current.closed_at = current.last_activity_at
                closed.append(current.id)
                current = None
            if current is None:
                current = ListeningSession(started_at=now, last_activity_at=now)
                s.add(current)
                s.flush()
            current.last_activity_at = now
            play = Play(
                session_id=current.id,
                track_id=track_id,
                origin=Origin(origin).value,
                started_at=now,
            )
            s.add(play)
            s.flush()
            s.add(PlayEvent(play_id=play.id, kind=STARTED, at=now, position_ms=0, played_ms=0))
            play_id = play.id
        self._notify(closed)
        return play_id

    def play_position(self, play_id: int, position_ms: int, played_ms: int) -> None:
        """Note where a play stands, so a crash still leaves its ``played_ms`` (throttled)."""
        now = self._clock()
        last = self._last_position_at.get(play_id)
        if last is not None and now - last < self._position_interval:
            return
        self._last_position_at[play_id] = now
        self._add_unless_ended(play_id, POSITION, now, position_ms, played_ms)

    def play_ended(
        self,
        play_id: int,
        outcome: Outcome,
        *,
        position_ms: int,
        played_ms: int,
        message: str = "",
    ) -> None:
        """Record how a play ended; a second end for the same play is logged and ignored."""
        now = self._clock()
        self._last_position_at.pop(play_id, None)
        with self._db.session() as s, s.begin():
            already = self._terminal_kind(s, play_id)
            if already is not None:
                log.warning("Play %d already ended as %s; ignoring %s", play_id, already, outcome)
                return
            s.add(
                PlayEvent(
                    play_id=play_id,
                    kind=Outcome(outcome).value,
                    at=now,
                    position_ms=position_ms,
                    played_ms=played_ms,
                    message=message,
                )
            )
            self._touch(s, play_id, now)
            # A resumed play belongs to a session closed at the last quit, held until now.
            settled = s.scalar(
                select(ListeningSession.id)
                .join(Play, Play.session_id == ListeningSession.id)
                .where(Play.id == play_id, ListeningSession.closed_at.is_not(None))
            )
        self._notify([settled] if settled is not None else [])

    def play_interrupted(self, play_id: int, *, position_ms: int, played_ms: int) -> None:
        """Record that the app quit during this play: neither a skip nor a finish.

        The next run may continue it (:meth:`interrupted_play`, :meth:`play_resumed`).
        """
        now = self._clock()
        self._last_position_at.pop(play_id, None)
        self._add_unless_ended(play_id, INTERRUPTED, now, position_ms, played_ms)

    def _add_unless_ended(
        self, play_id: int, kind: str, now: float, position_ms: int, played_ms: int
    ) -> None:
        """Add a ``kind`` event to a play that has not ended (an ended play is left alone)."""
        with self._db.session() as s, s.begin():
            if self._terminal_kind(s, play_id) is not None:
                return
            event = PlayEvent(
                play_id=play_id, kind=kind, at=now, position_ms=position_ms, played_ms=played_ms
            )
            s.add(event)
            self._touch(s, play_id, now)

    def interrupted_play(self) -> InterruptedPlay | None:
        """The newest play, if quitting interrupted it and nothing happened since."""
        with self._db.session() as s:
            return self._newest_interrupted(s)

    def play_resumed(self, play_id: int, *, position_ms: int) -> int | None:
        """Continue an interrupted play (no new play); returns the ms heard before the quit.

        Returns ``None`` (and writes nothing) unless it is the newest play and its last event is
        ``interrupted``.
        """
        now = self._clock()
        with self._db.session() as s, s.begin():
            last = self._newest_interrupted(s)
            if last is None or last.play_id != play_id:
                return None
            s.add(
                PlayEvent(
                    play_id=play_id,
                    kind=RESUMED,
                    at=now,
                    position_ms=position_ms,
                    played_ms=last.played_ms,
                )
            )
        return last.played_ms

    def close_session(self) -> SessionRecord | None:
        """Close the open session now (e.g. on quit); returns it, or ``None`` if none was open."""
        now = self._clock()
        with self._db.session() as s, s.begin():
            current = self._open_session(s)
            if current is None:
                return None
            current.closed_at = max(now, current.last_activity_at)
            closed_id = current.id
            held = self._held_session(s)
        records = self._records(ListeningSession.id == closed_id)
        if self._on_closed is not None and closed_id != held:
            for record in records:
                self._on_closed(record)
        return records[0] if records else None

    # -- reading -------------------------------------------------------------------------------

    def closed_sessions_since(self, cursor: int = 0) -> list[SessionRecord]:
        """Closed sessions with an id above ``cursor``, oldest first, as plain records.

        Oldest by start time: an imported session written today may hold a listen of years ago.
        """
        return self._records(
            and_(ListeningSession.id > cursor, ListeningSession.closed_at.is_not(None))
        )

    def recent_track_ids(self, n: int) -> list[int]:
        """The track ids of the last ``n`` plays started, newest first (imported ones by time)."""
        with self._db.session() as s:
            newest = select(Play.track_id).order_by(Play.started_at.desc(), Play.id.desc())
            return list(s.scalars(newest.limit(n)))

    def stats(self) -> HistoryStats:
        """Count tracks, plays by outcome (as the events say) and sessions."""
        with self._db.session() as s:
            tracks = s.scalar(select(func.count(Track.id))) or 0
            available = s.scalar(select(func.count(Track.id)).where(Track.available)) or 0
            plays = s.scalar(select(func.count(Play.id))) or 0
            sessions = s.scalar(select(func.count(ListeningSession.id))) or 0
            by_kind: dict[str, int] = {
                kind: n
                for kind, n in s.execute(
                    select(PlayEvent.kind, func.count(PlayEvent.id))
                    .where(PlayEvent.kind.in_(TERMINAL))
                    .group_by(PlayEvent.kind)
                )
            }
            terminal = select(PlayEvent.play_id).where(PlayEvent.kind.in_(TERMINAL))
            unfinished = (
                s.scalar(
                    select(func.count(Play.id))
                    .join(ListeningSession, ListeningSession.id == Play.session_id)
                    .where(ListeningSession.closed_at.is_not(None), Play.id.not_in(terminal))
                )
                or 0
            )
            imported = {
                source: n
                for source, n in s.execute(
                    select(Play.source, func.count(Play.id))
                    .where(Play.source != LOCAL)
                    .group_by(Play.source)
                )
            }
            imported_sessions = (
                s.scalar(
                    select(func.count(ListeningSession.id)).where(ListeningSession.source != LOCAL)
                )
                or 0
            )
            unmatched = (
                s.scalar(
                    select(func.count(ImportedEntry.id)).where(ImportedEntry.track_id.is_(None))
                )
                or 0
            )
        return HistoryStats(
            tracks=tracks,
            available=available,
            plays=plays,
            finished=by_kind.get(Outcome.FINISHED.value, 0),
            skipped=by_kind.get(Outcome.SKIPPED.value, 0),
            failed=by_kind.get(Outcome.FAILED.value, 0),
            interrupted=unfinished,
            sessions=sessions,
            imported=imported,
            unmatched=unmatched,
            imported_sessions=imported_sessions,
        )

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _open_session(s: Session) -> ListeningSession | None:
        return s.scalars(
            select(ListeningSession)
            .where(ListeningSession.closed_at.is_(None))
            .order_by(ListeningSession.id.desc())
            .limit(1)
        ).first()

    @staticmethod
    def _newest_interrupted(s: Session) -> InterruptedPlay | None:
        """The newest play, if its last event is the quit that interrupted it."""
        last = s.execute(
            select(Play.id, Play.track_id, Play.session_id)
            .where(Play.source == LOCAL)  # an import since does not settle it
            .order_by(Play.id.desc())
            .limit(1)
        ).first()
        if last is None:
            return None
        event = s.execute(
            select(PlayEvent.kind, PlayEvent.position_ms, PlayEvent.played_ms)
            .where(PlayEvent.play_id == last.id)
            .order_by(PlayEvent.id.desc())
            .limit(1)
        ).first()
        if event is None or event.kind != INTERRUPTED:
            return None
        return InterruptedPlay(
            last.id, last.track_id, event.position_ms, event.played_ms, last.session_id
        )

    @classmethod
    def _held_session(cls, s: Session) -> int | None:
        """The closed session whose last play quitting interrupted: not yet told to plugins."""
        found = cls._newest_interrupted(s)
        if found is None:
            return None
        closed = s.scalar(
            select(ListeningSession.closed_at).where(ListeningSession.id == found.session_id)
        )
        return found.session_id if closed is not None else None

    @staticmethod
    def _terminal_kind(s: Session, play_id: int) -> str | None:
        return s.scalars(
            select(PlayEvent.kind).where(PlayEvent.play_id == play_id, PlayEvent.kind.in_(TERMINAL))
        ).first()

    @staticmethod
    def _touch(s: Session, play_id: int, now: float) -> None:
        session_id = select(Play.session_id).where(Play.id == play_id).scalar_subquery()
        s.execute(
            update(ListeningSession)
            .where(ListeningSession.id == session_id, ListeningSession.closed_at.is_(None))
            .values(last_activity_at=func.max(ListeningSession.last_activity_at, now))
        )

    def _notify(self, session_ids: list[int]) -> None:
        if self._on_closed is None or not session_ids:
            return
        for record in self._records(ListeningSession.id.in_(session_ids)):
            self._on_closed(record)

    def _records(self, which: ColumnElement[bool]) -> list[SessionRecord]:
        """Build plain records for the sessions matching ``which`` (three queries in all).

        The condition is applied through joins, never as a long ``IN`` list, so a full history
        (tens of thousands of sessions) stays within SQLite's limit on bound parameters.
        """
        with self._db.session() as s:  # plain columns: ORM objects cost ~10x more per row
            sessions = s.execute(
                select(ListeningSession.id, ListeningSession.started_at, ListeningSession.closed_at)
                .where(which)
                .order_by(ListeningSession.started_at, ListeningSession.id)  # imports: by time
            ).all()
            if not sessions:
                return []
            plays = s.execute(
                select(
                    Play.id, Play.session_id, Play.track_id, Play.origin, Play.started_at,
                    Track.duration_ms,
                )
                .join(Track, Track.id == Play.track_id)
                .join(ListeningSession, ListeningSession.id == Play.session_id)
                .where(which)
                .order_by(Play.started_at, Play.id)
            ).all()  # fmt: skip
            events = s.execute(
                select(PlayEvent.play_id, PlayEvent.kind, PlayEvent.played_ms)
                .join(Play, Play.id == PlayEvent.play_id)
                .join(ListeningSession, ListeningSession.id == Play.session_id)
                .where(which)
                .order_by(PlayEvent.id)
            ).all()
        outcome: dict[int, Outcome] = {}
        played: dict[int, int] = {}
        for play_id, kind, played_ms in events:
            if play_id in outcome:
                continue
            if kind in TERMINAL:
                outcome[play_id] = Outcome(kind)
                played[play_id] = played_ms
            else:
                played[play_id] = max(played.get(play_id, 0), played_ms)
        by_session: dict[int, list[PlayRecord]] = {row[0]: [] for row in sessions}
        for play_id, session_id, track_id, origin, started_at, duration_ms in plays:
            by_session[session_id].append(
                PlayRecord(
                    track_id=track_id,
                    # No outcome (interrupted or crashed): the partial-play rule, see the module.
                    outcome=outcome.get(play_id, Outcome.SKIPPED),
                    played_ms=played.get(play_id, 0),
                    origin=Origin(origin),
                    started_at=started_at,
                    duration_ms=duration_ms,
                )
            )
        return [
            SessionRecord(
                session_id=session_id,
                started_at=started_at,
                ended_at=closed_at,
                plays=tuple(by_session[session_id]),
            )
            for session_id, started_at, closed_at in sessions
        ]
