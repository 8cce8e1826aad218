"""Playback, queue controller and tracker on real audio and a real history database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from player.controller import PlayerController
from player.db.engine import Database
from player.history import History
from player.library import load_track_rows
from player.playback import Playback, PlayState
from player.plugin_api import Origin, Outcome
from player.queue import QueueModel
from player.scanner import scan
from player.tracker import ListeningTracker, SessionRelay
from tests.audio import make_audio

TIMEOUT_MS = 15_000

# QtMultimedia logs warnings from its FFmpeg threads; pytest-qt's Python message handler can be
# gone by then (a crash after the test), so these tests keep Qt's own handler.
pytestmark = pytest.mark.no_qt_log


@dataclass
class Rig:
    playback: Playback
    queue: QueueModel
    controller: PlayerController
    tracker: ListeningTracker
    history: History
    relay: SessionRelay

    def plays(self):
        self.tracker.shutdown()
        return [p for s in self.history.closed_sessions_since(0) for p in s.plays]


@pytest.fixture
def rig(qtbot, tmp_path: Path, db: Database) -> Iterator[tuple[Rig, list]]:
    music = tmp_path / "music"
    for i, fmt in enumerate(("ogg", "mp3", "flac")):
        make_audio(music / f"{i} t.{fmt}", seconds=2.0, tags={"title": f"T{i}", "artist": "A"})
    make_audio(music / "3 broken.mp3", seconds=2.0, tags={"title": "broken"})
    scan(db, [music])
    # Damaged after the scan: the library believes in it, the decoder will not.
    (music / "3 broken.mp3").write_bytes(b"this is not audio at all" * 100)
    rows = sorted(load_track_rows(db), key=lambda r: r.path)
    relay = SessionRelay()
    history = History(db, on_session_closed=relay.relay)
    history.start_app_session()
    playback = Playback()
    queue = QueueModel()
    controller = PlayerController(playback, queue, restart_after_ms=500)
    tracker = ListeningTracker(playback, history)
    yield Rig(playback, queue, controller, tracker, history, relay), rows
    playback.stop()
    # Free the media player while the application lives (see PlayerParts.dispose).
    playback.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_previous_restarts_past_threshold_then_goes_back(qtbot, rig) -> None:
    r, rows = rig
    r.queue.add(rows[:2])
    r.controller.play_row(1)
    qtbot.waitUntil(lambda: r.playback.position_ms >= 700, timeout=TIMEOUT_MS)
    ended: list[object] = []
    r.playback.track_ended.connect(ended.append)
    r.controller.previous()  # past 0.5 s: restart, same play
    qtbot.waitUntil(lambda: r.playback.position_ms < 500, timeout=TIMEOUT_MS)
    assert ended == [] and r.playback.current.track_id == rows[1].id
    with qtbot.waitSignal(r.tracker.track_started, timeout=TIMEOUT_MS) as started:
        r.controller.previous()  # early in the track: previous entry
    assert started.args[0].track_id == rows[0].id
    assert started.args[0].origin == Origin.USER
    assert [e.outcome for e in ended] == [Outcome.SKIPPED]


def test_broken_file_fails_and_end_of_queue_stops(qtbot, rig) -> None:
    r, rows = rig
    broken = next(row for row in rows if row.title == "broken")
    r.queue.add([broken, rows[0]])
    with qtbot.waitSignal(r.controller.queue_ended, timeout=TIMEOUT_MS * 2):
        r.controller.play_row(0)
    assert r.playback.state == PlayState.STOPPED and r.playback.current is None
    failed, finished = r.plays()
    assert (failed.track_id, failed.outcome) == (broken.id, Outcome.FAILED)
    assert (finished.track_id, finished.outcome) == (rows[0].id, Outcome.FINISHED)
    assert r.queue.current_row == 1
    # Play again after the end: the last entry replays from the start.
    with qtbot.waitSignal(r.tracker.track_started, timeout=TIMEOUT_MS):
        r.controller.play_pause()


def test_same_track_twice_plays_twice(qtbot, rig) -> None:
    r, rows = rig
    r.queue.add([rows[0], rows[0]])
    with qtbot.waitSignal(r.controller.queue_ended, timeout=TIMEOUT_MS * 2):
        r.controller.play_row(0)
    assert [(p.outcome, p.played_ms >= 1900) for p in r.plays()] == [
        (Outcome.FINISHED, True),
        (Outcome.FINISHED, True),
    ]


def test_seek_is_not_counted_as_listening(qtbot, rig) -> None:
    r, rows = rig
    r.queue.add(rows[:1])
    r.controller.play_row(0)
    qtbot.waitUntil(lambda: r.playback.played_ms >= 200, timeout=TIMEOUT_MS)
    r.playback.seek(1700)
    with qtbot.waitSignal(r.tracker.track_ended, timeout=TIMEOUT_MS) as ended:
        pass
    assert ended.args[0].outcome == Outcome.FINISHED
    assert ended.args[0].played_ms < 1500


def test_session_closed_signal_on_shutdown(qtbot, rig) -> None:
    r, rows = rig
    r.queue.add(rows[:1])
    with qtbot.waitSignal(r.tracker.track_started, timeout=TIMEOUT_MS):
        r.controller.play_row(0)
    with qtbot.waitSignal(r.relay.session_closed) as closed:
        r.tracker.shutdown()
    assert closed.args[0].session.plays[0].track_id == rows[0].id


def test_notify_lookups_are_settled_on_the_creating_thread(qapp: object) -> None:
    """``settle_notify_lookups`` makes Qt call each object's (dis)connectNotify once, from here.

    That first call is the one that looks for a Python override (and needs the GIL); a later call
    from an FFmpeg thread then finds the answer remembered. A Python override shows the calls.
    """
    from PySide6.QtCore import QMetaMethod, QObject

    from player.playback import settle_notify_lookups

    class Probe(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[tuple[str, str]] = []

        def connectNotify(self, signal: QMetaMethod) -> None:
            self.calls.append(("connect", bytes(signal.name().data()).decode()))

        def disconnectNotify(self, signal: QMetaMethod) -> None:
            self.calls.append(("disconnect", bytes(signal.name().data()).decode()))

    probe = Probe()
    settle_notify_lookups(probe)
    assert ("disconnect", "destroyed") in probe.calls
    assert ("connect", "destroyed") in probe.calls


@contextmanager
def next_run(db: Database) -> Iterator[Rig]:
    """The player as the next start of the app builds it, on the same database."""
    relay = SessionRelay()
    history = History(db, on_session_closed=relay.relay)
    history.start_app_session()
    playback = Playback()
    queue = QueueModel()
    controller = PlayerController(playback, queue)
    tracker = ListeningTracker(playback, history)
    try:
        yield Rig(playback, queue, controller, tracker, history, relay)
    finally:
        playback.stop()
        playback.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def quit_mid_track(qtbot, r: Rig, row) -> int:
    """Play ``row``, hear some of it, pause and quit as PlayerParts.shutdown does; returns where
    it stood (the position the window saves)."""
    r.queue.add([row])
    r.controller.play_row(0)
    qtbot.waitUntil(lambda: r.playback.played_ms >= 700, timeout=TIMEOUT_MS)
    r.playback.pause()
    position = r.playback.position_ms
    r.tracker.shutdown()  # the tracker first, then unload without an ending
    r.playback.unload_without_ending()
    return position


def counts(history: History) -> tuple[int, int, int, int]:
    stats = history.stats()
    return stats.plays, stats.finished, stats.skipped, stats.interrupted


def test_quit_mid_track_then_resume_counts_one_finished_play(qtbot, rig, db: Database) -> None:
    r, rows = rig
    position = quit_mid_track(qtbot, r, rows[0])
    assert counts(r.history) == (1, 0, 0, 1)  # interrupted: no skip
    with next_run(db) as run:  # restores the queue held at the saved position and plays on
        run.queue.restore([(rows[0], Origin.QUEUE)], 0)
        run.controller.restore(position)
        with qtbot.waitSignal(run.tracker.track_ended, timeout=TIMEOUT_MS * 2) as ended:
            run.playback.resume()
        assert ended.args[0].outcome == Outcome.FINISHED
        assert ended.args[0].played_ms >= 1500  # both runs' listening, in one play
        assert counts(run.history) == (1, 1, 0, 0)
        (played,) = run.plays()
    assert (played.outcome, played.played_ms >= 1500) == (Outcome.FINISHED, True)


def test_playing_a_quit_track_from_the_start_is_a_new_play(qtbot, rig, db: Database) -> None:
    r, rows = rig
    quit_mid_track(qtbot, r, rows[0])
    with next_run(db) as run:
        run.queue.add(rows[:1])
        with qtbot.waitSignal(run.tracker.track_ended, timeout=TIMEOUT_MS * 2):
            run.controller.play_row(0)  # from the top: a new listen
        assert counts(run.history) == (2, 1, 0, 1)


def open_paths() -> set[bytes]:
    """The files this process holds open, as raw bytes."""
    fds = "/proc/self/fd"
    held = set()
    for fd in os.listdir(fds):
        with suppress(OSError):  # the descriptor listdir itself used is gone by now
            held.add(os.readlink(os.fsencode(os.path.join(fds, fd))))
    return held


@pytest.mark.parametrize("fmt", ["mp3", "flac"])
def test_non_utf8_file_name_plays_to_the_end(qtbot, rig, tmp_path: Path, db, fmt) -> None:
    """Reliability issue, item 4: ``QUrl.fromLocalFile`` dropped the undecodable bytes of such a
    name, so every play failed (and radio kept picking the file)."""
    r, _rows = rig
    folder = os.fsencode(tmp_path / "odd")
    raw = os.path.join(folder, b"Caf\xe9 \xff d\xe9j\xe0." + fmt.encode())
    make_audio(tmp_path / "odd" / f"x.{fmt}", seconds=2.0, tags={"title": "odd"})
    os.rename(os.path.join(folder, f"x.{fmt}".encode()), raw)
    scan(db, [tmp_path / "odd"])
    (odd,) = [row for row in load_track_rows(db) if row.title == "odd"]
    assert os.fsencode(odd.path) == raw
    r.queue.add([odd])
    with qtbot.waitSignal(r.tracker.track_ended, timeout=TIMEOUT_MS * 2) as ended:
        r.controller.play_row(0)
    assert ended.args[0].outcome == Outcome.FINISHED
    assert ended.args[0].played_ms >= 1500
    assert raw not in open_paths()  # let go of once it ended


def test_non_utf8_file_name_resumes_at_its_saved_position(qtbot, rig, tmp_path: Path, db) -> None:
    r, _rows = rig
    folder = os.fsencode(tmp_path / "odd")
    raw = os.path.join(folder, b"\xff\xfe.ogg")
    make_audio(tmp_path / "odd" / "x.ogg", seconds=2.0, tags={"title": "odd"})
    os.rename(os.path.join(folder, b"x.ogg"), raw)
    scan(db, [tmp_path / "odd"])
    (odd,) = [row for row in load_track_rows(db) if row.title == "odd"]
    r.queue.restore([(odd, Origin.QUEUE)], 0)
    r.controller.restore(1500)
    with qtbot.waitSignal(r.tracker.track_ended, timeout=TIMEOUT_MS * 2) as ended:
        r.playback.resume()
    assert ended.args[0].outcome == Outcome.FINISHED
    assert ended.args[0].played_ms < 1000  # started where it was left
    r.playback.stop()
    assert raw not in open_paths()
