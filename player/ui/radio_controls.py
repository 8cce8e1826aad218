"""Radio in the window: the adventurousness slider, and the wiring of host, radio and window.

:func:`attach_radio` is the one call ``app.py`` makes: it starts the plugin host (plugins load
on their own threads), builds the radio controller over the real queue, relays the tracker's
events (to the host first, then to radio, so a skip reaches the plugin before the next
``suggest``), enables the Radio action (button, Playback menu, Ctrl+R), adds the
adventurousness slider under the Radio button and "Retrain on Local History" under Tools.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from player.library import TrackRow, get_track, track_infos
from player.plugin_api import LibraryChanged, Plugin, PluginContext, TrackInfo
from player.plugin_host import PluginHost
from player.radio import RadioController, history_reporter
from player.radio_queue import PlayerQueue

log = logging.getLogger(__name__)

ADVENTUROUSNESS_KEY = "radio/adventurousness"
DEFAULT_ADVENTUROUSNESS = 0.5


def radio_options(adventurousness: float) -> dict[str, float]:
    """Sampling options for a slider value in [0, 1].

    0 is familiar (temperature 0.6, only the top 80 % of the mass), 1 is adventurous
    (temperature 1.8). The nucleus cut-off only narrows the lower half of the range (from the
    middle up, top_p is 1: off, which also spares a sort over the whole library per pick).
    """
    x = min(1.0, max(0.0, adventurousness))
    return {"temperature": 0.6 + 1.2 * x, "top_p": min(1.0, 0.8 + 0.4 * x)}


class AdventurousnessSlider(QWidget):
    """ "Familiar ⟷ Adventurous" slider; emits the value in [0, 1]."""

    changed = Signal(float)

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(value * 100))
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip("How far radio strays from what you usually play next")
        self.slider.setAccessibleName("Radio adventurousness")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(QLabel("Familiar"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(QLabel("Adventurous"))
        self.slider.valueChanged.connect(lambda v: self.changed.emit(v / 100.0))

    def value(self) -> float:
        """The current value in [0, 1]."""
        return self.slider.value() / 100.0


def track_info(row: TrackRow) -> TrackInfo:
    """A library row as the plugin API's record."""
    return TrackInfo(
        track_id=row.id,
        path=row.path,
        title=row.title,
        artist=row.artist,
        album_artist=row.album_artist,
        album=row.album,
        track_number=row.track_number,
        disc_number=row.disc_number,
        genre=row.genre,
        year=row.year,
        duration_ms=row.duration_ms,
        available=row.available,
    )


@dataclass
class RadioWiring:
    """What :func:`attach_radio` built (``shutdown`` on quit)."""

    host: PluginHost
    radio: RadioController
    slider: AdventurousnessSlider
    retrain_action: QAction

    def shutdown(self) -> None:
        """Stop radio, then save the plugins' state (hidden state, recent window) and stop
        their threads. Call after the player's own shutdown (which closes the session)."""
        self.radio.shutdown()
        self.host.shutdown()


def attach_radio(
    parts,
    data_dir: Path,
    *,
    start_radio: bool = False,
    plugins: Sequence[Plugin] = (),
    discover: bool = True,
) -> RadioWiring:
    """Build the plugin host and the radio and wire them into ``parts`` (``PlayerParts``).

    Args:
        parts: The player built by ``player.app.build_player``.
        data_dir: Where plugins keep their files.
        start_radio: Turn radio on once the library is loaded (``segue --radio``).
        plugins: Plugin instances to host besides discovered ones (tests).
        discover: Load the plugins declared under the ``segue.plugins`` entry points.
    """
    window, store, db, history = parts.window, parts.store, parts.db, parts.history
    adventurousness = float(store.value(ADVENTUROUSNESS_KEY, DEFAULT_ADVENTUROUSNESS))
    context = PluginContext(
        data_dir=data_dir,
        load_library=lambda: track_infos(db),
        load_sessions=lambda: history.closed_sessions_since(0),
        settings=radio_options(adventurousness),
    )
    # No Qt parent: the host must outlive the window until ``RadioWiring.shutdown`` has stopped
    # the plugin threads (a QThread destroyed while running takes the process down).
    host = PluginHost(context, plugins=plugins, discover=discover)
    radio = RadioController(
        PlayerQueue(parts.controller, lambda track_id: get_track(db, track_id)),
        host,
        recent_tracks=history.recent_track_ids,
        report_missing=_off_gui_thread(parts.runner, history_reporter(history, db)),
        parent=window,
    )
    _relay_events(parts, host, radio)
    _connect_window(window, host, radio, start_radio)
    slider = _add_slider(window, store, host, adventurousness)
    retrain = _add_retrain(window, host)
    host.start()
    return RadioWiring(host, radio, slider, retrain)


def _off_gui_thread(runner, report: Callable[[int, str], None]) -> Callable[[int, str], None]:
    """Write missing-file failures to history on the task pool (the GUI thread keeps going)."""

    def submit(track_id: int, message: str) -> None:
        def failed(exc: Exception) -> None:
            log.warning("could not record missing track %d: %s", track_id, exc)

        runner.run(lambda: report(track_id, message), lambda _result: None, failed)

    return submit


def _relay_events(parts, host: PluginHost, radio: RadioController) -> None:
    tracker, controller = parts.tracker, parts.controller
    # The host first: the plugin must see a skip before radio asks for the next pick.
    tracker.track_started.connect(host.track_started)
    tracker.track_ended.connect(host.track_ended)
    tracker.track_started.connect(lambda e: radio.on_track_started(e.track_id))
    tracker.track_ended.connect(lambda e: radio.on_track_ended(e.track_id, str(e.outcome)))
    parts.sessions.session_closed.connect(lambda e: host.broadcast("on_session_closed", e))
    controller.queue.queue_changed.connect(radio.on_queue_changed)
    controller.queue_ended.connect(radio.on_queue_ended)


def _connect_window(window, host: PluginHost, radio: RadioController, start_radio: bool) -> None:
    host.status_message.connect(window.show_message)
    radio.status_message.connect(window.show_message)
    action = window.radio_action
    action.setEnabled(True)
    action.toggled.connect(radio.set_enabled)
    radio.enabled_changed.connect(action.setChecked)
    pending_start = [start_radio]

    def library_loaded(rows: list[TrackRow]) -> None:
        infos = [track_info(r) for r in rows]
        radio.set_library(infos)
        host.library_changed(LibraryChanged(tuple(infos)))
        if pending_start[0]:  # `segue --radio`: once the library is there
            pending_start[0] = False
            action.setChecked(True)

    window.library_loaded.connect(library_loaded)


def _add_slider(window, store, host: PluginHost, value: float) -> AdventurousnessSlider:
    slider = AdventurousnessSlider(value)

    def changed(x: float) -> None:
        store.set_value(ADVENTUROUSNESS_KEY, x)
        for name, option in radio_options(x).items():
            host.set_option(name, option)

    slider.changed.connect(changed)
    menu = QMenu(window)
    holder = QWidgetAction(menu)
    holder.setDefaultWidget(slider)
    menu.addSection("Adventurousness")
    menu.addAction(holder)
    button: QToolButton = window.transport.radio_button
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return slider


def _add_retrain(window, host: PluginHost) -> QAction:
    action = QAction("Retrain Radio on Local &History", window)
    action.setStatusTip("Retrain the radio's model from your whole listening history")

    def retrain() -> None:
        if not host.train(full=True):
            window.show_message("No recommender plugin is loaded; nothing to retrain.")
            return
        action.setEnabled(False)
        window.begin_progress("Retraining radio…", host.cancel_training)

    def progressed(_name: str, done: int, total: int, message: str) -> None:
        window.update_progress(done, total, f"Retraining radio… {message}".strip())

    def finished(_name: str, ok: bool, message: str) -> None:
        action.setEnabled(True)
        window.end_progress()
        window.show_message("Radio retrained on your history." if ok else
                            f"Retraining stopped: {message}")  # fmt: skip

    action.triggered.connect(retrain)
    host.train_progress.connect(progressed)
    host.train_finished.connect(finished)
    window.menus["tools"].addSeparator()
    window.menus["tools"].addAction(action)
    return action
