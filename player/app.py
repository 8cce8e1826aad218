"""Builds the Qt application and wires the player's objects together; holds no behaviour."""

from __future__ import annotations

import importlib.resources
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from player.controller import PlayerController
from player.db.engine import Database, DatabaseError, open_database
from player.history import History
from player.paths import AppPaths
from player.playback import Playback
from player.queue import QueueModel
from player.tracker import ListeningTracker, SessionRelay
from player.ui.cover_cache import CoverCache
from player.ui.main_window import MainWindow
from player.ui.settings_store import SettingsStore
from player.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


@dataclass
class PlayerParts:
    """Everything one window needs, built by :func:`build_player` (tests use it too)."""

    db: Database
    history: History
    sessions: SessionRelay
    playback: Playback
    queue: QueueModel
    controller: PlayerController
    tracker: ListeningTracker
    store: SettingsStore
    runner: TaskRunner
    window: MainWindow
    mpris: object | None = None

    def shutdown(self) -> None:
        """Quit in order: remember the window, record the position, close the session."""
        self.window.scan_job.cancel()
        self.window.save_state()
        self.tracker.shutdown()
        self.playback.unload_without_ending()
        self.runner.wait(10000)


def app_icon() -> QIcon:
    """Segue's icon, read from the ``resources`` package."""
    with importlib.resources.as_file(importlib.resources.files("resources") / "segue.svg") as p:
        return QIcon(str(p))


def build_player(paths: AppPaths, db: Database) -> PlayerParts:
    """Create and connect playback, queue, tracker, history and the main window."""
    sessions = SessionRelay()
    history = History(db, on_session_closed=sessions.relay)
    history.start_app_session()
    runner = TaskRunner()
    playback = Playback()
    queue = QueueModel(lambda ids: window.model.tracks(ids))
    controller = PlayerController(playback, queue)
    tracker = ListeningTracker(playback, history)
    store = SettingsStore(paths.state_dir / "segue.ini")
    covers = CoverCache(paths.covers_dir)
    window = MainWindow(db=db, controller=controller, store=store, covers=covers, runner=runner)
    tracker.track_ended.connect(window.on_track_ended)
    tracker.history_failed.connect(window.show_message)
    return PlayerParts(
        db, history, sessions, playback, queue, controller, tracker, store, runner, window
    )


def run_app(paths: AppPaths, *, music_dirs: list[Path], debug: bool, radio: bool) -> int:
    """Show the Segue window and run until it closes; returns the exit status."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Segue")
    app.setOrganizationName("segue")
    app.setDesktopFileName("segue")
    app.setWindowIcon(app_icon())
    paths.ensure()
    try:
        db = open_database(paths.db_path)
    except DatabaseError as exc:
        QMessageBox.critical(None, "Segue", str(exc))
        return 1
    parts = build_player(paths, db)
    window = parts.window
    window.show()
    if db.notice:
        window.show_message(db.notice, 0)
    # The window is on screen first; the library, scans and D-Bus come right after.
    QTimer.singleShot(0, lambda: window.start(music_dirs))
    QTimer.singleShot(0, lambda: _start_mpris(parts, app))
    if radio and not window.radio_action.isEnabled():
        window.show_message("Radio mode is not available yet.")
    app.aboutToQuit.connect(parts.shutdown)
    status = app.exec()
    db.close()
    log.debug("debug=%s exit status %s", debug, status)
    return int(status)


def _start_mpris(parts: PlayerParts, app: QApplication) -> None:
    from player.mpris import Mpris

    mpris = Mpris(parts.controller, raise_window=parts.window.raise_, quit_app=app.quit)
    if not mpris.register():
        log.info("MPRIS not available (no session bus)")
    parts.mpris = mpris
