"""Steering radio from the window: Love, Never Play (and its list), Start Radio From, variety.

Wired by :func:`player.app.attach_radio`. Feedback is written to history on the task pool (the
GUI thread does no SQL); once written it goes to the plugins and the radio controller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from player.albums import album_of, seed_tracks
from player.plugin_api import Feedback, FeedbackKind
from player.ui.actions import resource_icon
from player.ui.browser_index import Album, Artist

if TYPE_CHECKING:
    from player.feedback import FeedbackLog
    from player.library import TrackRow
    from player.plugin_host import PluginHost
    from player.radio.controller import RadioController
    from player.ui.main_window import MainWindow

log = logging.getLogger(__name__)

SPACING_KEYS = {"artist_spacing": "radio/artist_spacing", "album_spacing": "radio/album_spacing"}


class Steering(QObject):
    """The window's Love / Never Play / Start Radio From actions and what they do.

    Args:
        window: The main window (its library model, queue, runner and menus).
        log_: The feedback store (used on the task pool only).
        host: The plugin host (gets each feedback event and every seed).
        radio: The radio controller (never-play list, seeds).

    Signals:
        feedback_changed(): the loved or never-played tracks changed.
    """

    feedback_changed = Signal()

    def __init__(
        self, window: MainWindow, log_: FeedbackLog, host: PluginHost, radio: RadioController
    ) -> None:
        super().__init__(window)
        self._window, self._log, self._host, self._radio = window, log_, host, radio
        self.loved: set[int] = set()
        self.never: set[int] = set()
        self.actions = _actions(window)
        a = self.actions
        a["love"].triggered.connect(lambda: self.love(self.targets()))
        a["never"].triggered.connect(lambda: self.never_play(self.targets()))
        a["never_list"].triggered.connect(self.show_never_list)
        a["radio_track"].triggered.connect(lambda: self.radio_from("track"))
        a["radio_album"].triggered.connect(lambda: self.radio_from("album"))
        a["radio_artist"].triggered.connect(lambda: self.radio_from("artist"))
        a["radio_browsed"].triggered.connect(self.radio_from_browser)
        window.controller.playback.track_loaded.connect(self._sync_love_check)
        self.feedback_changed.connect(self._sync_love_check)

    def load(self) -> None:
        """Read what stands (on the task pool), then tell the radio controller."""
        store = self._log

        def read() -> tuple[set[int], set[int]]:
            return store.track_ids(FeedbackKind.LOVE), store.track_ids(FeedbackKind.NEVER)

        def done(result: tuple[set[int], set[int]]) -> None:
            self.loved, self.never = result
            self._radio.set_never(frozenset(self.never))
            self.feedback_changed.emit()

        self._window.runner.run(
            read, done, lambda e: log.warning("feedback: %s", e), owner=self._window
        )

    # -- what an action applies to ------------------------------------------------------------
    def targets(self) -> list[int]:
        """The selected tracks of the focused list (library or queue), else the playing one."""
        window = self._window
        if window.table.hasFocus() and (rows := window.selected_tracks()):
            return [r.id for r in rows]
        view = window.queue_panel.view
        if view.hasFocus():
            model = window.queue_panel.model
            rows = sorted(i.row() for i in view.selectionModel().selectedRows())
            if rows:
                return [model.entry(r).track_id for r in rows]
        current = window.playing_track_id()
        return [current] if current is not None else []

    # -- feedback -----------------------------------------------------------------------------
    def love(self, track_ids: Sequence[int], on: bool | None = None) -> None:
        """Love the tracks (``on``), or take the love back; by default, love them unless every
        one of them is loved already."""
        if not track_ids:
            self._window.show_message("Nothing to love: play or select a track first.")
            self._sync_love_check()  # the action toggled its check mark
            return
        if on is None:
            on = not all(t in self.loved for t in track_ids)
        self._record(track_ids, FeedbackKind.LOVE, on)

    def never_play(self, track_ids: Sequence[int], on: bool = True) -> None:
        """Radio never plays these tracks again (``on=False``: it may again)."""
        if not track_ids:
            self._window.show_message("Nothing to ban: play or select a track first.")
            return
        self._record(track_ids, FeedbackKind.NEVER, on)
        playing = self._window.playing_track_id()
        if on and playing in track_ids:
            self._window.controller.next()  # "never this" while it plays: it stops now

    def _record(self, track_ids: Sequence[int], kind: FeedbackKind, on: bool) -> None:
        store, ids = self._log, list(track_ids)

        def write() -> list[Feedback]:
            return [store.record(t, kind, on) for t in ids]

        def done(events: list[Feedback]) -> None:
            target = self.loved if kind is FeedbackKind.LOVE else self.never
            for event in events:
                self._host.feedback(event)
                (target.add if on else target.discard)(event.track_id)
            if kind is FeedbackKind.NEVER:
                self._radio.set_never(frozenset(self.never))
            self._window.show_message(_said(self._window, ids, kind, on))
            self.feedback_changed.emit()

        def failed(exc: Exception) -> None:
            self._window.show_message(f"Could not save that: {exc}", 0)

        self._window.runner.run(write, done, failed, owner=self._window)

    def _sync_love_check(self, *_args: object) -> None:
        current = self._window.playing_track_id()
        action = self.actions["love"]
        action.setChecked(current is not None and current in self.loved)

    # -- seeds --------------------------------------------------------------------------------
    def radio_from(self, kind: str) -> None:
        """Start radio from the selected (else playing) track, its album or its artist."""
        ids = self.targets()
        row = self._window.model.track(ids[0]) if ids else None
        if row is None:
            self._window.show_message("Select a track to start radio from.")
            return
        seed, name = seed_for(self._window.model.rows(), row, kind)
        if not seed:
            self._window.show_message(f"No playable track for radio from {name}.")
            return
        self._radio.start_from(seed, name)

    def radio_from_browser(self) -> None:
        """Start radio from the artist or album chosen in the browser pane."""
        entry = self._window.browser.entry()
        if entry is None:
            self._window.show_message("Choose an artist or an album to start radio from.")
            return
        model = self._window.model
        rows = [r for r in model.tracks(entry.track_ids) if r.available]
        if isinstance(entry, Artist):  # the artist as you know them: most played first
            rows.sort(key=lambda r: -r.play_count)
            name = entry.name
        else:
            name = f"the album “{entry.title}”" if isinstance(entry, Album) else "this disc"
        if not rows:
            self._window.show_message(f"No playable track for radio from {name}.")
            return
        self._radio.start_from([r.id for r in rows], name)

    # -- never-play list ----------------------------------------------------------------------
    def show_never_list(self) -> NeverPlayDialog:
        """The never-play list, where a track can be given back to radio."""
        dialog = NeverPlayDialog(self._window, sorted(self.never), self._window.model.track)
        dialog.play_again.connect(lambda ids: self.never_play(ids, on=False))
        dialog.open()
        return dialog


def seed_for(rows: Sequence[TrackRow], row: TrackRow, kind: str) -> tuple[list[int], str]:
    """``(seed track ids, the seed's name)``: the track; its album in order; or its artist's
    tracks, the most played first (the first of a seed plays first)."""
    title = row.title or row.path.rsplit("/", 1)[-1]
    if kind == "album" and row.album:
        album = [t.id for t in album_of(rows, row) if t.available]
        return album, f"the album “{row.album}”"
    artist = row.album_artist or row.artist
    if kind == "artist" and artist:
        plays = {r.id: r.play_count for r in rows}
        tracks = seed_tracks(rows, artist=artist)
        ordered = sorted(tracks, key=lambda t: -plays.get(t.id, 0))  # stable: album order next
        return [t.id for t in ordered], artist
    return ([row.id] if row.available else []), f"“{title}”"


def _said(window: MainWindow, ids: Sequence[int], kind: FeedbackKind, on: bool) -> str:
    row = window.model.track(ids[0])
    name = f"“{row.title or row.path.rsplit('/', 1)[-1]}”" if row is not None else "the track"
    if len(ids) > 1:
        name = f"{len(ids)} tracks"
    if kind is FeedbackKind.LOVE:
        return f"Loved {name}: radio will lean toward it" if on else f"No longer loved: {name}"
    if on:
        return f"Radio will never play {name} (Tools → Never-Play List to undo)"
    return f"Radio may play {name} again"


def _actions(window: MainWindow) -> dict[str, QAction]:
    def make(name: str, text: str, shortcut: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, window)
        action.setObjectName(f"action_{name}")
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text)
        window.addAction(action)
        return action

    actions = {
        "love": make("love", "&Love", "Ctrl+L", "Love this track: radio leans toward it"),
        "never": make("never", "&Never Play", "Ctrl+Shift+N", "Radio never plays this track"),
        "never_list": make("never_list", "Never-Play &List…"),
        "radio_track": make("radio_track", "Start Radio from This &Track"),
        "radio_album": make("radio_album", "Start Radio from This &Album"),
        "radio_artist": make("radio_artist", "Start Radio from This A&rtist"),
        "radio_browsed": make("radio_browsed", "Start &Radio from Here"),
    }
    actions["love"].setCheckable(True)
    actions["love"].setIcon(resource_icon("love.svg"))
    button = QToolButton()  # beside the Radio button: the playing track, one click
    button.setObjectName("love_button")
    button.setDefaultAction(actions["love"])
    button.setAutoRaise(True)
    transport = window.transport
    transport.layout().insertWidget(transport.layout().indexOf(transport.radio_button), button)
    playback = window.menus["playback"]
    playback.addSeparator()
    playback.addActions([actions["love"], actions["never"]])
    for name in ("radio_track", "radio_album", "radio_artist"):
        playback.addAction(actions[name])
    window.menus["tools"].addAction(actions["never_list"])
    window.table.addActions(
        [_separator(window), actions["love"], actions["never"], _separator(window)]
        + [actions[n] for n in ("radio_track", "radio_album", "radio_artist")]
    )
    for view in (window.browser.tree, window.browser.grid):
        view.addActions([_separator(window), actions["radio_browsed"]])
    window.queue_panel.view.addActions(
        [_separator(window), actions["love"], actions["never"], actions["radio_track"]]
    )
    return actions


def _separator(parent: QWidget) -> QAction:
    action = QAction(parent)
    action.setSeparator(True)
    return action


class NeverPlayDialog(QDialog):
    """The tracks radio never plays; *Play Again* gives the selected ones back.

    Signals:
        play_again(list[int]): the user gave these tracks back to radio.
    """

    play_again = Signal(list)

    def __init__(
        self, parent: QWidget, track_ids: Sequence[int], lookup: Callable[[int], TrackRow | None]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Segue — Never-Play List")
        self.setMinimumSize(460, 320)
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        for track_id in track_ids:
            row = lookup(track_id)
            text = f"{row.title or row.path} — {row.artist}" if row else f"track {track_id}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, track_id)
            self.list.addItem(item)
        empty = QLabel("Radio plays every track of your library." if not track_ids else "")
        self.again = QPushButton("Play Again on Radio")
        self.again.clicked.connect(self._give_back)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tracks radio never plays (you can still play them yourself):"))
        layout.addWidget(self.list, 1)
        layout.addWidget(empty)
        layout.addWidget(self.again, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(buttons)

    def _give_back(self) -> None:
        items = self.list.selectedItems()
        ids = [int(i.data(Qt.ItemDataRole.UserRole)) for i in items]
        for item in items:
            self.list.takeItem(self.list.row(item))
        if ids:
            self.play_again.emit(ids)


def add_variety(menu: QMenu, values: dict[str, int], changed: Callable[[str, int], None]) -> None:
    """Two spin boxes in radio's menu: plays before the same artist / album may come again
    (*learned*: the default, from the listener's own habits)."""
    box = QWidget()
    form = QFormLayout(box)
    form.setContentsMargins(10, 4, 10, 6)
    for option, label in (("artist_spacing", "Same artist again after"),
                          ("album_spacing", "Same album again after")):  # fmt: skip
        spin = QSpinBox()
        spin.setRange(-1, 10)
        spin.setSpecialValueText("learned")
        spin.setSuffix(" tracks")
        spin.setValue(values.get(option, -1))
        spin.setObjectName(option)
        spin.setToolTip("“learned”: from how you listen (album runs stay if you play albums)")
        spin.valueChanged.connect(lambda v, o=option: changed(o, v))
        form.addRow(label, spin)
    holder = QWidgetAction(menu)
    holder.setDefaultWidget(box)
    menu.addSection("Variety")
    menu.addAction(holder)
