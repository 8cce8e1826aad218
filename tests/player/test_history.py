"""Listening history: append-only plays, outcomes, sessions split by gaps, plain records."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from player.db.engine import Database
from player.db.models import ListeningSession, Play, PlayEvent, Track
from player.history import History
from player.plugin_api import Origin, Outcome, SessionRecord


class Clock:
    """A hand-moved clock."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def add_tracks(db: Database, n: int) -> list[int]:
    with db.session() as s, s.begin():
        tracks = [Track(path=f"/m/{i}.mp3", title=f"T{i}", artist="A", duration_ms=200_000)
                  for i in range(n)]  # fmt: skip
        s.add_all(tracks)
        s.flush()
        return [t.id for t in tracks]


def test_outcomes_and_origins_come_back_as_plain_records(db: Database) -> None:
    a, b, c = add_tracks(db, 3)
    clock = Clock()
    history = History(db, clock=clock)
    history.start_app_session()
    p1 = history.play_started(a, Origin.USER)
    clock.now += 200
    history.play_ended(p1, Outcome.FINISHED, position_ms=200_000, played_ms=199_000)
    p2 = history.play_started(b, Origin.RADIO)
    clock.now += 10
    history.play_ended(p2, Outcome.SKIPPED, position_ms=9_000, played_ms=8_500)
    p3 = history.play_started(c, Origin.QUEUE)
    history.play_ended(p3, Outcome.FAILED, position_ms=0, played_ms=0, message="no such file")
    assert history.closed_sessions_since() == []
    record = history.close_session()
    assert isinstance(record, SessionRecord)
    assert [(p.track_id, p.outcome, p.played_ms, p.origin) for p in record.plays] == [
        (a, Outcome.FINISHED, 199_000, Origin.USER),
        (b, Outcome.SKIPPED, 8_500, Origin.RADIO),
        (c, Outcome.FAILED, 0, Origin.QUEUE),
    ]
    assert record.plays[0].duration_ms == 200_000
    assert history.closed_sessions_since() == [record]
    assert history.closed_sessions_since(record.session_id) == []
    stats = history.stats()
    assert (stats.plays, stats.finished, stats.skipped, stats.failed, stats.sessions) == (
        3, 1, 1, 1, 1,
    )  # fmt: skip
    assert history.recent_track_ids(2) == [c, b]


def test_gap_opens_a_new_session_and_reports_the_closed_one(db: Database) -> None:
    (a,) = add_tracks(db, 1)
    clock = Clock()
    closed: list[SessionRecord] = []
    history = History(db, clock=clock, session_gap_s=600, on_session_closed=closed.append)
    p1 = history.play_started(a, Origin.USER)
    clock.now += 100
    history.play_ended(p1, Outcome.FINISHED, position_ms=100_000, played_ms=100_000)
    clock.now += 599  # within the gap: same session
    history.play_started(a, Origin.USER)
    assert closed == []
    clock.now += 601
    history.play_started(a, Origin.USER)
    assert len(closed) == 1 and len(closed[0].plays) == 2
    assert closed[0].ended_at == 1_000_000.0 + 100 + 599  # closed at its last activity
    sessions = history.closed_sessions_since()
    assert [s.session_id for s in sessions] == [closed[0].session_id]


def test_crash_leaves_a_play_without_outcome_not_a_skip(db: Database) -> None:
    (a,) = add_tracks(db, 1)
    clock = Clock()
    history = History(db, clock=clock, position_interval_s=5)
    play = history.play_started(a, Origin.RADIO)
    for second in range(1, 31):
        clock.now += 1
        history.play_position(play, second * 1000, second * 1000)
    # The process dies here; the next run closes what was left open.
    closed: list[SessionRecord] = []
    History(db, clock=clock, on_session_closed=closed.append).start_app_session()
    assert len(closed) == 1
    (record,) = closed[0].plays
    # For plugins: the partial-play rule (skipped with what was heard; they judge the fraction).
    assert record.outcome is Outcome.SKIPPED
    assert 25_000 <= record.played_ms <= 30_000
    with db.session() as s:  # position reports were throttled, not stored every second
        assert (s.scalar(select(func.count(PlayEvent.id))) or 0) <= 8
    stats = History(db).stats()  # no skip event was written: no skip is counted
    assert (stats.plays, stats.finished, stats.skipped, stats.interrupted) == (1, 0, 0, 1)


def event_counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(PlayEvent.kind, func.count()).group_by(PlayEvent.kind)).all()
    return {kind: n for kind, n in rows}


def quit_mid_track(db: Database, clock: Clock, track: int, played_ms: int) -> int:
    """One run: start ``track``, hear ``played_ms`` of it, quit (interrupted, session closed)."""
    history = History(db, clock=clock)
    history.start_app_session()
    play = history.play_started(track, Origin.QUEUE)
    clock.now += played_ms / 1000
    history.play_interrupted(play, position_ms=played_ms, played_ms=played_ms)
    history.close_session()
    return play


def test_quit_mid_track_is_interrupted_not_skipped(db: Database) -> None:
    a, b = add_tracks(db, 2)
    clock = Clock()
    history = History(db, clock=clock)
    p1 = history.play_started(a, Origin.USER)
    history.play_ended(p1, Outcome.SKIPPED, position_ms=3_000, played_ms=3_000)
    history.close_session()
    play = quit_mid_track(db, clock, b, 120_000)
    found = History(db).interrupted_play()
    assert found is not None and (found.play_id, found.track_id) == (play, b)
    assert (found.position_ms, found.played_ms) == (120_000, 120_000)
    stats = History(db).stats()
    assert (stats.plays, stats.finished, stats.skipped, stats.interrupted) == (2, 0, 1, 1)
    assert stats.skipped == event_counts(db)["skipped"]
    assert event_counts(db)["interrupted"] == 1
    # A new play afterwards: the interrupted one can no longer be continued.
    History(db, clock=clock).play_started(a, Origin.USER)
    assert History(db).interrupted_play() is None


def test_resumed_play_continues_and_counts_once(db: Database) -> None:
    (a,) = add_tracks(db, 1)
    clock = Clock()
    play = quit_mid_track(db, clock, a, 170_400)
    # Next run: the saved queue resumes the same track at its position.
    closed: list[SessionRecord] = []
    history = History(db, clock=clock, on_session_closed=closed.append)
    history.start_app_session()
    found = history.interrupted_play()
    assert found is not None and found.play_id == play
    heard_before = history.play_resumed(play, position_ms=found.position_ms)
    assert heard_before == 170_400
    assert history.play_resumed(play, position_ms=0) is None  # only once
    clock.now += 29.6
    history.play_ended(play, Outcome.FINISHED, position_ms=200_000, played_ms=heard_before + 29_600)
    history.close_session()
    stats = history.stats()
    assert (stats.plays, stats.finished, stats.skipped, stats.interrupted) == (1, 1, 0, 0)
    assert event_counts(db) == {"started": 1, "interrupted": 1, "resumed": 1, "finished": 1}
    (session,) = history.closed_sessions_since()  # the play stays in the session it began in
    (record,) = session.plays
    assert (record.outcome, record.played_ms) == (Outcome.FINISHED, 200_000)
    assert history.interrupted_play() is None


def quit_then_next_run(
    db: Database, clock: Clock, learned: list[SessionRecord]
) -> tuple[History, int]:
    """Hear 170.4 s of a track, quit; then start the next run. Returns its history, the play."""
    a, b = add_tracks(db, 2)
    history = History(db, clock=clock, on_session_closed=learned.append)
    history.start_app_session()
    first = history.play_started(b, Origin.USER)
    history.play_ended(first, Outcome.SKIPPED, position_ms=3_000, played_ms=3_000)
    play = history.play_started(a, Origin.QUEUE)
    clock.now += 170.4
    history.play_interrupted(play, position_ms=170_400, played_ms=170_400)
    history.close_session()
    assert learned == []  # held back: the next run may continue that play
    nxt = History(db, clock=clock, on_session_closed=learned.append)
    nxt.start_app_session()
    assert learned == []
    return nxt, play


def test_plugins_learn_a_resumed_play_once_with_its_final_outcome(db: Database) -> None:
    """Reliability issue, item 8: the session closed at quit went to plugins with the play cut
    off (a partial skip), and its real end after the resume never reached them."""
    learned: list[SessionRecord] = []
    clock = Clock()
    history, play = quit_then_next_run(db, clock, learned)
    heard = history.play_resumed(play, position_ms=170_400)
    assert heard == 170_400
    clock.now += 29.6
    history.play_ended(play, Outcome.FINISHED, position_ms=200_000, played_ms=heard + 29_600)
    (session,) = learned
    assert [(p.outcome, p.played_ms) for p in session.plays] == [
        (Outcome.SKIPPED, 3_000),
        (Outcome.FINISHED, 200_000),
    ]
    history.close_session()  # nothing more was played: nothing more to learn
    assert len(learned) == 1


def test_plugins_learn_an_interrupted_play_not_resumed_when_the_next_one_starts(
    db: Database,
) -> None:
    learned: list[SessionRecord] = []
    clock = Clock()
    history, play = quit_then_next_run(db, clock, learned)
    track = history.recent_track_ids(2)[1]
    clock.now += 60
    nxt = history.play_started(track, Origin.USER)  # something else: the interrupted play is over
    (session,) = learned  # with the partial-play rule: a skip with what was heard
    assert [(p.outcome, p.played_ms) for p in session.plays][-1] == (Outcome.SKIPPED, 170_400)
    assert history.play_resumed(play, position_ms=170_400) is None
    history.play_ended(nxt, Outcome.FINISHED, position_ms=200_000, played_ms=200_000)
    history.close_session()
    assert len(learned) == 2 and learned[1].plays[0].outcome is Outcome.FINISHED


def test_a_play_ends_once_and_history_is_append_only(db: Database) -> None:
    (a,) = add_tracks(db, 1)
    history = History(db, clock=Clock())
    play = history.play_started(a, Origin.USER)
    history.play_ended(play, Outcome.FAILED, position_ms=0, played_ms=0, message="boom")
    history.play_ended(play, Outcome.SKIPPED, position_ms=0, played_ms=0)
    history.close_session()
    (session,) = history.closed_sessions_since()
    assert session.plays[0].outcome is Outcome.FAILED  # failed is never turned into a skip
    with db.session() as s:
        kinds = s.scalars(select(PlayEvent.kind).order_by(PlayEvent.id)).all()
    assert kinds == ["started", "failed"]


def test_close_without_open_session_returns_none(db: Database) -> None:
    assert History(db).close_session() is None


def test_a_long_history_loads_in_one_go(db: Database) -> None:
    """More sessions than SQLite allows bound parameters (32766): no giant IN lists."""
    (track,) = add_tracks(db, 1)
    n = 33_000
    with db.engine.begin() as c:
        c.execute(
            insert(ListeningSession),
            [
                {"id": i, "started_at": i, "last_activity_at": i, "closed_at": i}
                for i in range(1, n + 1)
            ],
        )
        c.execute(
            insert(Play),
            [{"id": i, "session_id": i, "track_id": track, "origin": "radio", "started_at": i}
             for i in range(1, n + 1)],
        )  # fmt: skip
        c.execute(
            insert(PlayEvent),
            [{"play_id": i, "kind": "finished", "at": i, "position_ms": 9, "played_ms": 9,
              "message": ""} for i in range(1, n + 1)],
        )  # fmt: skip
    sessions = History(db).closed_sessions_since(0)
    assert len(sessions) == n and sessions[-1].plays[0].outcome is Outcome.FINISHED
    assert len(History(db).closed_sessions_since(n - 5)) == 5
