"""The listener's feedback on tracks: love and never-play, kept as append-only history events."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import func, select

from player.db.engine import Database
from player.db.models import FeedbackEvent
from player.plugin_api import Feedback, FeedbackKind

log = logging.getLogger(__name__)


class FeedbackLog:
    """Records loves and never-plays; what stands for a track is its newest event of a kind.

    Args:
        db: The library database.
        clock: Seconds since the epoch (injected in tests).
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def record(self, track_id: int, kind: FeedbackKind, on: bool = True) -> Feedback:
        """Write that the listener loved (``on``) or un-loved a track, or said never / again.

        Returns:
            The event as the plugins get it.
        """
        event = Feedback(track_id, kind, on, self._clock())
        with self._db.session() as s, s.begin():
            s.add(FeedbackEvent(track_id=track_id, kind=kind.value, on=on, at=event.timestamp))
        log.info("feedback: %s %s track %d", "set" if on else "undone", kind.value, track_id)
        return event

    def standing(self, kind: FeedbackKind | None = None) -> list[Feedback]:
        """What stands: one event (``on``) per loved or never-played track, newest first."""
        newest = (
            select(func.max(FeedbackEvent.id))
            .group_by(FeedbackEvent.track_id, FeedbackEvent.kind)
            .scalar_subquery()
        )
        query = select(FeedbackEvent).where(FeedbackEvent.id.in_(newest), FeedbackEvent.on)
        if kind is not None:
            query = query.where(FeedbackEvent.kind == kind.value)
        with self._db.session() as s:
            rows = s.scalars(query.order_by(FeedbackEvent.id.desc())).all()
            return [Feedback(r.track_id, FeedbackKind(r.kind), True, r.at) for r in rows]

    def track_ids(self, kind: FeedbackKind) -> set[int]:
        """Tracks for which ``kind`` stands."""
        return {f.track_id for f in self.standing(kind)}

    def counts(self) -> dict[FeedbackKind, int]:
        """How many tracks are loved / never played now."""
        out = dict.fromkeys(FeedbackKind, 0)
        for event in self.standing():
            out[event.kind] += 1
        return out
