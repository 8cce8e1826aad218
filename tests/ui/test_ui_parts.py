"""Smaller window parts on real files: scan job (progress, cancel), cover cache, settings."""

from __future__ import annotations

from pathlib import Path

from player.db.engine import Database
from player.paths import AppPaths
from player.plugin_api import Origin
from player.ui.cover_cache import CoverCache
from player.ui.library_access import DatabaseLibrary
from player.ui.settings_dialog import SettingsDialog
from player.ui.settings_store import SettingsStore
from player.ui.tasks import ScanJob, TaskRunner
from tests.audio import cover_image, make_audio, make_library


def test_scan_job_reports_progress_rows_and_finishes(qtbot, db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", 2, 2)
    runner = TaskRunner()
    job = ScanJob(runner, refresh_s=0.0)
    job.attach(DatabaseLibrary(db))
    progress, rows = [], []
    job.progressed.connect(progress.append)
    job.rows_loaded.connect(rows.append)
    with qtbot.waitSignal(job.finished, timeout=30_000) as done:
        assert job.start([tmp_path / "music"])
        assert not job.start([tmp_path / "music"])  # one scan at a time
    assert done.args[0].added == 4 and not done.args[0].cancelled
    assert progress and progress[-1].done == progress[-1].total == 4
    assert len(rows[-1]) == 4
    runner.wait()


class _CancelAfterFirstFile(DatabaseLibrary):
    """The real library, with the user pressing Cancel as the first file is read."""

    job: ScanJob

    def scan(self, folders, *, progress, should_stop):
        def on_progress(p):
            progress(p)
            self.job.cancel()

        return super().scan(folders, progress=on_progress, should_stop=should_stop)


def test_scan_job_can_be_cancelled(qtbot, db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", 3, 4)
    runner = TaskRunner()
    job = ScanJob(runner)
    library = _CancelAfterFirstFile(db)
    library.job = job
    job.attach(library)
    with qtbot.waitSignal(job.finished, timeout=30_000) as done:
        job.start([tmp_path / "music"])
    report = done.args[0]
    assert report.cancelled and report.added < 12
    assert not job.running
    runner.wait()


def test_cover_thumbnails_are_cached_in_the_cache_dir(qapp, app_paths: AppPaths) -> None:
    art = make_audio(app_paths.data_dir / "a.flac", cover=cover_image("png"))
    plain = make_audio(app_paths.data_dir / "b.ogg")
    covers = CoverCache(app_paths.covers_dir, size=64)
    thumb = covers.thumbnail(str(art), None, True)
    assert thumb is not None and max(thumb.width(), thumb.height()) <= 64
    assert len(list(app_paths.covers_dir.glob("*.png"))) == 1
    assert CoverCache(app_paths.covers_dir, size=64).thumbnail(str(art), None, True) is not None
    assert covers.thumbnail(str(plain), None, False) is None
    assert covers.thumbnail("/gone.flac", None, True) is None


def test_settings_store_round_trip_and_bad_values(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "state" / "segue.ini")
    store.set_music_folders([Path("/m/a"), Path("/m/b"), Path("/m/a")])
    store.set_volume(0.25)
    store.set_queue([(3, Origin.RADIO), (4, Origin.USER)], 1, 12_345)
    store.sync()
    again = SettingsStore(tmp_path / "state" / "segue.ini")
    assert again.music_folders() == [Path("/m/a"), Path("/m/b")]
    assert again.volume() == 0.25
    assert again.queue() == ([(3, Origin.RADIO), (4, Origin.USER)], 1, 12_345)
    again.set_value("queue/entries", "not json")
    again.set_value("playback/volume", "loud")
    assert again.queue() == ([], -1, 0)
    assert again.volume() == 0.8


def test_settings_dialog_adds_and_removes_folders(qtbot) -> None:
    dialog = SettingsDialog([Path("/m/a")])
    qtbot.addWidget(dialog)
    dialog.add_folder(Path("/m/b"))
    dialog.add_folder(Path("/m/a"))  # already listed
    assert dialog.folders() == [Path("/m/a"), Path("/m/b")]
    dialog.list.setCurrentRow(0)
    dialog._remove_selected()
    assert dialog.folders() == [Path("/m/b")]
