"""Love and never-play as append-only history events (issue #28)."""

from __future__ import annotations

from sqlalchemy import func, select

from player.db.engine import Database
from player.db.models import FeedbackEvent, Track
from player.feedback import FeedbackLog
from player.plugin_api import Feedback, FeedbackKind


def _tracks(db: Database, n: int) -> list[int]:
    with db.session() as s, s.begin():
        rows = [Track(path=f"/m/{i}.ogg", title=f"t{i}") for i in range(n)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_what_stands_is_the_newest_event_and_nothing_is_overwritten(db: Database) -> None:
    a, b, c = _tracks(db, 3)
    clock = iter(range(100, 200))
    log = FeedbackLog(db, clock=lambda: float(next(clock)))
    assert log.record(a, FeedbackKind.LOVE) == Feedback(a, FeedbackKind.LOVE, True, 100.0)
    log.record(b, FeedbackKind.LOVE)
    log.record(b, FeedbackKind.LOVE, on=False)  # un-loved
    log.record(c, FeedbackKind.NEVER)
    log.record(a, FeedbackKind.NEVER)
    log.record(a, FeedbackKind.NEVER, on=False)
    log.record(a, FeedbackKind.NEVER)  # and never again
    assert log.track_ids(FeedbackKind.LOVE) == {a}
    assert log.track_ids(FeedbackKind.NEVER) == {a, c}
    assert log.counts() == {FeedbackKind.LOVE: 1, FeedbackKind.NEVER: 2}
    assert [f.track_id for f in log.standing()] == [a, c, a]  # newest first
    with db.session() as s:
        assert s.scalar(select(func.count(FeedbackEvent.id))) == 7  # append-only
