"""The folder watcher (issue #27) with real file operations in a temporary folder: new, changed,
moved and deleted files reach the library through one debounced scan each, history kept."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from player.db.engine import Database
from player.history import History
from player.library import load_track_rows
from player.plugin_api import Origin, Outcome
from player.scanner import ScanReport, scan
from player.ui.library_access import DatabaseLibrary
from player.ui.tasks import ScanJob, TaskRunner
from player.watcher import FolderWatcher, coalesce
from tests.audio import make_audio, make_library

WAIT_MS = 20_000


@pytest.fixture
def watched(qtbot, db: Database, tmp_path: Path) -> Iterator[tuple[FolderWatcher, ScanJob, Path]]:
    """A scanned two-album library whose folder is being watched (watches in place)."""
    music = tmp_path / "music"
    make_library(music, 2, 2)
    scan(db, [music])
    runner = TaskRunner()
    job = ScanJob(runner)
    job.attach(DatabaseLibrary(db))
    watcher = FolderWatcher(job, quiet_ms=400, max_wait_ms=5000)
    with qtbot.waitSignal(watcher.watching, timeout=WAIT_MS):
        watcher.watch([music])
    yield watcher, job, music
    watcher.stop()
    runner.wait()


def next_scan(qtbot, job: ScanJob) -> ScanReport:
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as done:
        pass
    assert job.background
    return done.args[0]


def titles(db: Database, *, available: bool = True) -> set[str]:
    return {r.title for r in load_track_rows(db) if r.available == available}


def test_new_files_are_added_by_one_scan(qtbot, watched, db: Database) -> None:
    _watcher, job, music = watched
    scans: list[ScanReport] = []
    changed, reloaded = [], []
    job.finished.connect(scans.append)
    job.rows_changed.connect(changed.append)
    job.rows_loaded.connect(reloaded.append)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as done:
        for n in range(5):  # a burst within the quiet time: one scan
            make_audio(music / "New" / f"{n}.ogg", tags={"title": f"New {n}", "artist": "A"})
    assert done.args[0].added == 5 and len(scans) == 1
    # Only the five new rows come back for the table, not the whole library again.
    assert [sorted(r.title for r in rows) for rows in changed] == [[f"New {n}" for n in range(5)]]
    assert reloaded == []
    assert {f"New {n}" for n in range(5)} <= titles(db)


def test_a_changed_file_is_read_again(qtbot, watched, db: Database) -> None:
    _watcher, job, music = watched
    song = next(music.rglob("01 Song 1.1.*"))
    make_audio(song, tags={"title": "Retitled", "artist": "Someone"})
    report = next_scan(qtbot, job)
    assert (report.updated, report.added) == (1, 0)
    assert "Retitled" in titles(db) and "Song 1.1" not in titles(db)


def test_a_moved_file_keeps_its_history(qtbot, watched, db: Database) -> None:
    _watcher, job, music = watched
    track = next(r for r in load_track_rows(db) if r.title == "Song 2.1")
    history = History(db)
    play = history.play_started(track.id, Origin.USER)
    history.play_ended(play, Outcome.FINISHED, position_ms=1000, played_ms=1000)
    target = music / "Sorted" / "renamed.flac"
    target.parent.mkdir()
    os.rename(track.path, target)
    report = next_scan(qtbot, job)
    assert (report.moved, report.added, report.missing) == (1, 0, 0)
    (row,) = [r for r in load_track_rows(db) if r.id == track.id]
    assert (row.path, row.available, row.play_count) == (str(target), True, 1)


def test_deleted_files_and_folders_go_missing(qtbot, watched, db: Database) -> None:
    _watcher, job, music = watched
    shutil.rmtree(music / "Artist 1")
    report = next_scan(qtbot, job)
    assert report.missing == 2
    assert titles(db, available=False) == {"Song 1.1", "Song 1.2"}
    assert len(load_track_rows(db)) == 4  # kept, never deleted


def test_changes_during_a_scan_wait_for_it(qtbot, watched, db: Database) -> None:
    _watcher, job, music = watched
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        assert job.start([music])  # the user's rescan
        make_audio(music / "late.ogg", tags={"title": "Late", "artist": "A"})
    assert not job.background
    next_scan(qtbot, job)  # the watcher's own, once the user's has ended
    assert "Late" in titles(db)


def test_stop_ends_watching(qtbot, watched, db: Database) -> None:
    watcher, job, music = watched
    watcher.stop()
    assert watcher.folders == []
    make_audio(music / "unseen.ogg", tags={"title": "Unseen"})
    with qtbot.assertNotEmitted(job.finished, wait=1500):
        pass
    assert "Unseen" not in titles(db)


def test_many_files_in_one_folder_become_the_folder() -> None:
    many = [f"/m/a/{n}.mp3" for n in range(60)]
    assert coalesce([*many, "/m/b/x.mp3"]) == [Path("/m/a"), Path("/m/b/x.mp3")]


class _SlowToLoad(DatabaseLibrary):
    """The real library, whose every reload takes ten seconds on the job's clock."""

    offset = 0.0

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def load_rows(self):
        self.offset += 10.0
        return super().load_rows()


def test_a_slow_reload_is_not_repeated_at_every_file(qtbot, db: Database, tmp_path: Path) -> None:
    """A watcher's scan of 1,000 files into 100,000 tracks reloaded the whole library after each
    file it read (bench/watch.py ran ten minutes without finishing)."""
    make_library(tmp_path / "music", 2, 3)
    library = _SlowToLoad(db)
    runner = TaskRunner()
    job = ScanJob(runner, refresh_s=0.0, clock=library.clock)
    job.attach(library)
    progress, rows = [], []
    job.progressed.connect(progress.append)
    job.rows_loaded.connect(rows.append)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.start([tmp_path / "music"])
    assert len(progress) >= 3
    assert len(rows) == 2  # one while scanning (the next would be 40 s later), one at the end
    runner.wait()


def test_a_folder_that_cannot_be_watched_is_said(qtbot, db: Database, tmp_path: Path) -> None:
    runner = TaskRunner()
    job = ScanJob(runner)
    job.attach(DatabaseLibrary(db))
    watcher = FolderWatcher(job)
    messages: list[str] = []
    watcher.message.connect(messages.append)
    with qtbot.waitSignal(watcher.watching, timeout=WAIT_MS):
        watcher.watch([tmp_path / "not there"])
    assert messages and "Cannot watch" in messages[0] and "not there" in messages[0]
    watcher.close()
    watcher.watch([tmp_path])  # closed for good
    assert watcher.folders == []
