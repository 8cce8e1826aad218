"""Builds the Qt application and wires the player's objects together; holds no behaviour.

Start-up runs in two steps so the window is on screen before anything heavy loads: first Qt,
playback, queue and the window; then (next event-loop turn) the database layer, history,
tracker, library, radio (plugin host + controller, :func:`attach_radio`) and MPRIS.
"""

from __future__ import annotations

import importlib.resources
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from player.controller import PlayerController
from player.db.lock import try_lock
from player.memory import release_freed_memory
from player.paths import AppPaths
from player.playback import Playback
from player.qt_noise import quiet_ffmpeg, quiet_qt
from player.queue import QueueModel
from player.tracker import ListeningTracker, SessionRelay
from player.ui.cover_cache import CoverCache
from player.ui.main_window import MainWindow
from player.ui.open_file import FileOpener
from player.ui.playlist_dialogs import add_dock
from player.ui.playlists_pane import PlaylistsPane
from player.ui.settings_store import SettingsStore
from player.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from player.db.engine import Database
    from player.gain_control import GainControl
    from player.history import History
    from player.library import TrackRow
    from player.notifications import DesktopNotifier
    from player.playback import Playable
    from player.plugin_api import Plugin
    from player.plugin_host import PluginHost
    from player.radio.controller import RadioController
    from player.ui.import_dialog import ImportAction
    from player.ui.radio_widgets import AdventurousnessSlider
    from player.ui.settings_store import Options
    from player.ui.steering import Steering
    from player.watcher import FolderWatcher

log = logging.getLogger(__name__)


@dataclass
class RadioWiring:
    """What :func:`attach_radio` built (``shutdown`` on quit)."""

    host: PluginHost
    radio: RadioController
    slider: AdventurousnessSlider
    retrain_action: QAction
    steering: Steering

    def shutdown(self) -> None:
        """Stop radio, then save the plugins' state (hidden state, recent window) and stop
        their threads. Call after the player's own shutdown (which closes the session)."""
        self.radio.shutdown()
        self.host.shutdown()


@dataclass
class PlayerParts:
    """Everything one window needs. ``db``, ``history`` and ``tracker`` are set by
    :func:`attach_database` (right after the window is shown)."""

    playback: Playback
    queue: QueueModel
    controller: PlayerController
    store: SettingsStore
    runner: TaskRunner
    window: MainWindow
    sessions: SessionRelay
    db: Database | None = None
    history: History | None = None
    tracker: ListeningTracker | None = None
    mpris: object | None = None
    radio: RadioWiring | None = None
    importer: ImportAction | None = None
    covers: CoverCache | None = None
    watcher: FolderWatcher | None = None
    gain: GainControl | None = None
    notifier: DesktopNotifier | None = None
    playlists: PlaylistsPane | None = None

    def shutdown(self) -> None:
        """Quit in order: remember the window, record the playing track as interrupted (the
        next start may resume it as the same play), close the session, then unload."""
        if self.watcher is not None:
            self.watcher.close()
        if self.notifier is not None:
            self.notifier.close()
        self.window.scan_job.cancel()
        self.window.save_state()
        if self.tracker is not None:
            self.tracker.shutdown()
        self.playback.unload_without_ending()
        self.runner.wait(10000)
        if self.radio is not None:  # after the session closed: the plugin may learn from it
            self.radio.shutdown()
            self.radio = None

    def dispose(self) -> None:
        """Free the media player and the D-Bus name while the application still lives
        (destroying QMediaPlayer during interpreter shutdown can hang its FFmpeg backend)."""
        self.window.close()  # saves its state now, while playback still exists
        unregister = getattr(self.mpris, "unregister", None)
        if unregister is not None:
            unregister()
        self.playback.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def app_icon() -> QIcon:
    """Segue's icon, read from the ``resources`` package."""
    with importlib.resources.as_file(importlib.resources.files("resources") / "segue.svg") as p:
        return QIcon(str(p))


def build_window(paths: AppPaths) -> PlayerParts:
    """Create playback, queue, controller and the main window (no database yet)."""
    runner = TaskRunner()
    playback = Playback()
    queue = QueueModel()
    controller = PlayerController(playback, queue)
    store = SettingsStore(paths.state_dir / "segue.ini")
    covers = CoverCache(paths.covers_dir)
    window = MainWindow(controller=controller, store=store, covers=covers, runner=runner)
    queue.set_resolver(window.model.tracks)
    parts = PlayerParts(playback, queue, controller, store, runner, window, SessionRelay())
    parts.covers = covers
    parts.playlists = _add_playlists(parts)
    return parts


def _add_playlists(parts: PlayerParts) -> PlaylistsPane:
    """The playlist pane in a dock (it waits for the database); it plays through the queue."""
    window, controller = parts.window, parts.controller
    pane = PlaylistsPane(parts.runner, parts.queue, window.model.tracks, window.selected_tracks)
    add_dock(window, pane, window.menus["file"], window.menus["tools"])
    window.restore_docks()
    window.table.addAction(pane.actions_by_name["add_selected"])  # the library's context menu
    pane.play_requested.connect(lambda ids: controller.play_through(window.model.tracks(ids)))
    pane.message.connect(window.show_message)
    window.library_scanned.connect(lambda _report: pane.refresh())
    return pane


def attach_database(parts: PlayerParts, db: Database) -> None:
    """Add history, the listening tracker and the library to a built window."""
    # Imported here, not at the top: SQLAlchemy, Alembic and mutagen take most of a second to
    # import, and the window should be on screen before that (issue "The player", start-up).
    from player.history import History
    from player.history_import.store import import_summary
    from player.ui.import_dialog import ImportAction
    from player.ui.library_access import DatabaseLibrary
    from player.ui.playlist_access import DatabasePlaylists

    history = History(db, on_session_closed=parts.sessions.relay)
    history.start_app_session()
    tracker = ListeningTracker(parts.playback, history)
    tracker.track_ended.connect(parts.window.on_track_ended)
    tracker.history_failed.connect(parts.window.show_message)
    parts.window.attach_library(DatabaseLibrary(db))
    if parts.playlists is not None:
        parts.playlists.attach(DatabasePlaylists(db))
    parts.db, parts.history, parts.tracker = db, history, tracker
    parts.importer = ImportAction(parts.window, parts.runner, partial(import_summary, db))
    attach_options(parts)


def attach_options(parts: PlayerParts) -> None:
    """ReplayGain, desktop notifications and the folder watcher, set from the user's options
    and following the settings dialog. With watching on, the folders are rescanned once the
    library has loaded (changes made while Segue was closed), then watched."""
    from player.gain_control import GainControl  # see attach_database
    from player.notifications import DesktopNotifier
    from player.watcher import FolderWatcher

    window, store, covers = parts.window, parts.store, parts.covers
    options = store.options()
    gain = GainControl(parts.playback, parts.queue, window.model.track, options.replaygain)
    gain.setParent(window)
    gain.applied.connect(lambda a: window.now_playing.set_replaygain(a.describe() if a else ""))

    def cover_file(playable: Playable) -> str | None:
        row = window.model.track(playable.track_id)
        if row is None or covers is None:
            return None
        file = covers.thumbnail_file(row.path, row.cover_path, row.has_embedded_cover)
        return str(file) if file is not None else None

    notifier = DesktopNotifier(parts.runner, cover_file, enabled=options.notifications)
    notifier.setParent(window)
    parts.playback.track_started.connect(notifier.track_started)
    watcher = FolderWatcher(window.scan_job, parent=window)
    watcher.message.connect(window.show_message)

    def watch() -> None:  # the folders may have changed (settings, "Add folder")
        watcher.watch(store.music_folders() if store.options().watch else [])

    def options_changed(changed: Options) -> None:
        gain.set_mode(changed.replaygain)
        notifier.set_enabled(changed.notifications)
        watch()

    def rescan_at_start() -> None:
        folders = store.music_folders()
        if store.options().watch and folders and not window.scan_job.running:
            window.scan_job.start(folders, background=True)
        watch()

    def first_load(_rows: object) -> None:
        window.library_loaded.disconnect(first_load)
        # After start() began the scan it was asked for; never once the window is gone.
        QTimer.singleShot(0, window, rescan_at_start)

    window.options_changed.connect(options_changed)
    window.library_scanned.connect(lambda _report: watch())
    window.library_loaded.connect(first_load)
    parts.gain, parts.notifier, parts.watcher = gain, notifier, watcher


def build_player(paths: AppPaths, db: Database) -> PlayerParts:
    """Both steps at once (tests, benchmarks)."""
    parts = build_window(paths)
    attach_database(parts, db)
    return parts


def run_app(paths: AppPaths, *, music_dirs: list[Path], debug: bool, radio: bool) -> int:
    """Show the Segue window and run until it closes; returns the exit status."""
    quiet_qt(debug)  # again: run_app may be called without the command line
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Segue")
    app.setOrganizationName("segue")
    app.setDesktopFileName("segue")
    app.setWindowIcon(app_icon())
    paths.ensure()
    window_lock = try_lock(paths.window_lock_path)
    if window_lock is None:
        message = (
            f"Segue is already running with the library in {paths.data_dir}. Use that window, "
            "or start this one with another folder (--data-dir)."
        )
        log.error("%s", message)
        print(f"segue: {message}", file=sys.stderr)
        if QApplication.platformName() not in ("offscreen", "minimal"):  # nobody to see it there
            QMessageBox.critical(None, "Segue", message)
        return 1
    try:
        return _show_window(app, paths, music_dirs=music_dirs, debug=debug, radio=radio)
    finally:
        window_lock.release()


def _show_window(
    app: QApplication, paths: AppPaths, *, music_dirs: list[Path], debug: bool, radio: bool
) -> int:
    """Build the window, open the library and run the event loop (the window lock is held)."""
    parts = build_window(paths)
    quiet_ffmpeg(debug)  # the media player made by build_window loaded FFmpeg
    parts.window.show()
    status = {"code": 0}

    def open_library() -> None:
        from player.db.engine import DatabaseError, open_database  # see attach_database

        try:
            db = open_database(paths.db_path)
        except DatabaseError as exc:
            QMessageBox.critical(parts.window, "Segue", str(exc))
            status["code"] = 1
            app.quit()
            return
        attach_database(parts, db)
        if db.notice:
            show_database_notice(parts.window, db.notice)
        _attach_radio(parts, paths, start=radio)
        parts.window.start(music_dirs)
        _start_mpris(parts, app)

    QTimer.singleShot(0, open_library)
    app.aboutToQuit.connect(parts.shutdown)
    # Ctrl+C in the terminal, and the SIGTERM a desktop sends at log-out, quit cleanly (history
    # saved): Python only sees a signal when the interpreter runs, so a timer wakes it now and then.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: parts.window.close())
    wake = QTimer(app, interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    code = app.exec()
    parts.dispose()
    if parts.db is not None:
        parts.db.close()
    log.debug("debug=%s exit status %s", debug, code)
    return status["code"] or int(code)


def attach_radio(
    parts: PlayerParts,
    data_dir: Path,
    *,
    start_radio: bool = False,
    plugins: Sequence[Plugin] = (),
    discover: bool = True,
) -> RadioWiring:
    """Build the plugin host and the radio controller and wire them into ``parts``.

    Playback events go to the host first, then to radio, so a skip reaches the plugin before
    radio asks for the next pick (both run on the plugin's one event thread).

    Args:
        parts: The player, with its database attached.
        data_dir: Where plugins keep their files.
        start_radio: Turn radio on and play once the library is loaded (``segue --radio``).
        plugins: Plugin instances to host besides discovered ones (tests).
        discover: Load the plugins declared under the ``segue.plugins`` entry points.
    """
    from player.feedback import FeedbackLog
    from player.library import track_infos
    from player.plugin_api import (
        DEFAULT_ADVENTUROUSNESS,
        LibraryChanged,
        PluginContext,
        sampling_options,
    )
    from player.plugin_host import PluginHost
    from player.radio.adapters import PlayerQueue, history_reporter
    from player.radio.controller import RadioController
    from player.ui import radio_widgets, steering

    window, store, db, history = parts.window, parts.store, parts.db, parts.history
    assert db is not None and history is not None and parts.tracker is not None
    saved = store.value(radio_widgets.ADVENTUROUSNESS_KEY, DEFAULT_ADVENTUROUSNESS)
    adventurousness = float(saved) if isinstance(saved, int | float | str) else 0.5
    spacing = {o: _int(store.value(key, -1)) for o, key in steering.SPACING_KEYS.items()}
    feedback = FeedbackLog(db)
    context = PluginContext(
        data_dir=data_dir,
        load_library=lambda: track_infos(db),
        load_sessions=lambda: history.closed_sessions_since(0),
        settings={**sampling_options(adventurousness), **spacing},
        load_feedback=feedback.standing,
    )
    # No Qt parent: the host must outlive the window until ``RadioWiring.shutdown`` has stopped
    # the plugin threads (a QThread destroyed while running takes the process down).
    host = PluginHost(context, plugins=plugins, discover=discover)
    radio = RadioController(
        PlayerQueue(parts.controller, window.model.track),  # in memory: no database read per pick
        host,
        recent_tracks=history.recent_track_ids,
        report_missing=_off_gui_thread(parts, history_reporter(history, db)),
        parent=window,
    )
    tracker = parts.tracker
    tracker.track_started.connect(host.track_started)  # the host first (see above)
    tracker.track_ended.connect(host.track_ended)
    tracker.track_started.connect(lambda e: radio.on_track_started(e.track_id))
    tracker.track_ended.connect(lambda e: radio.on_track_ended(e.track_id, str(e.outcome)))
    parts.sessions.session_closed.connect(host.session_closed)
    parts.controller.queue.queue_changed.connect(radio.on_queue_changed)
    parts.controller.queue_ended.connect(radio.on_queue_ended)
    host.status_message.connect(window.show_message)
    host.plugin_loaded.connect(lambda _name: release_freed_memory())  # what loading freed
    radio.status_message.connect(window.show_message)
    radio.replanned.connect(window.queue_panel.show_note)
    action = window.radio_action
    action.setEnabled(True)
    action.toggled.connect(radio.set_enabled)
    radio.enabled_changed.connect(action.setChecked)
    pending_start = [start_radio]

    def library_loaded(rows: list[TrackRow]) -> None:
        # The table's rows are the plugin API's records: radio and the plugins share them
        # (an immutable tuple: the plugins read it on their threads).
        tracks = tuple(rows)
        radio.set_library(tracks)
        host.library_changed(LibraryChanged(tracks))
        if pending_start[0]:  # `segue --radio`: once the library is there, radio plays
            pending_start[0] = False
            action.setChecked(True)
            parts.controller.play()  # resumes a restored track; an empty queue starts on a pick

    window.library_loading.connect(host.library_loading)
    window.library_load_failed.connect(host.library_load_failed)
    window.library_loaded.connect(library_loaded)

    def adventurousness_changed(value: float) -> None:
        store.set_value(radio_widgets.ADVENTUROUSNESS_KEY, value)
        for name, option in sampling_options(value).items():
            host.set_option(name, option)

    slider = radio_widgets.add_slider(window, adventurousness, adventurousness_changed)

    def spacing_changed(option: str, value: int) -> None:
        store.set_value(steering.SPACING_KEYS[option], value)
        host.set_option(option, float(value))

    steering.add_variety(window.transport.radio_button.menu(), spacing, spacing_changed)
    steer = steering.Steering(window, feedback, host, radio)
    steer.load()
    if parts.playlists is not None:  # #28: a playlist seeds radio like an album does
        parts.playlists.radio_requested.connect(radio.start_from)
    retrain = radio_widgets.add_retrain_action(window, host)
    if parts.importer is not None:  # imported plays: retrain, with the retrain's progress
        parts.importer.imported.connect(lambda _plays: retrain.trigger())
    host.start()
    return RadioWiring(host, radio, slider, retrain, steer)


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


def show_database_notice(window: MainWindow, notice: str) -> QMessageBox:
    """Tell the user what happened to their library file (moved aside, recovered) in a box that
    stays until dismissed: a status-bar message was overwritten by "Loading library..." at once."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Segue", notice, QMessageBox.StandardButton.Ok)
    box.setParent(window, box.windowFlags())
    box.setObjectName("database-notice")
    box.open()  # not modal to the event loop: the library goes on loading behind it
    return box


def _off_gui_thread(
    parts: PlayerParts, report: Callable[[int, str], None]
) -> Callable[[int, str], None]:
    """Write missing-file failures to history on the task pool (the GUI thread keeps going)."""

    def submit(track_id: int, message: str) -> None:
        def failed(exc: Exception) -> None:
            log.warning("could not record missing track %d: %s", track_id, exc)

        parts.runner.run(lambda: report(track_id, message), lambda _result: None, failed)

    return submit


def _attach_radio(parts: PlayerParts, paths: AppPaths, *, start: bool) -> None:
    """Plugin host and radio; the player runs on without them."""
    try:
        parts.radio = attach_radio(parts, paths.data_dir, start_radio=start)
    except Exception:  # a broken radio must never keep the player from starting
        log.exception("radio could not be set up")
        parts.window.show_message("Radio is unavailable (see the log).", 0)


def _start_mpris(parts: PlayerParts, app: QApplication) -> None:
    from player.mpris import Mpris  # QtDBus: only once the window is up

    window = parts.window
    mpris = Mpris(parts.controller, raise_window=window.raise_, quit_app=app.quit)
    opener = FileOpener(
        window.model,
        parts.controller,
        music_folders=parts.store.music_folders,
        scan=window.scan,
        scanned=window.library_scanned,
        message=window.show_message,
        parent=window,
    )
    mpris.set_file_opener(opener.open_file)
    wiring = parts.radio
    if wiring is not None:
        mpris.attach_radio(
            wiring.radio,
            adventurousness=wiring.slider.value,
            adventurousness_changed=wiring.slider.changed,
            steer=wiring.steering,
        )
    if not mpris.register():
        log.info("MPRIS not available (no session bus)")
    parts.mpris = mpris
