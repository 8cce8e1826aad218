"""The playlist pane: the playlists, the chosen one's entries, and what can be done with them
(play, play from here, rename, delete, reorder by drag, remove, import, export, save the queue).

Every database call runs on the task pool; answers come back on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QSplitter,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from player.queue import QueueModel, TrackLike
from player.ui.playlist_dialogs import (
    ask_export_path,
    ask_import_path,
    ask_name,
    ask_playlist,
    confirm_delete,
    show_import_problems,
)
from player.ui.playlist_models import (
    ARTIST,
    TITLE,
    PlaylistEntriesModel,
    PlaylistListModel,
    entry_sources,
)
from player.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from player.playlists.import_export import ImportReport
    from player.playlists.store import PlaylistInfo
    from player.ui.playlist_access import DatabasePlaylists

log = logging.getLogger(__name__)


class PlaylistsPane(QWidget):
    """Playlists above, the selected playlist's entries below.

    Signals:
        play_requested(list): track ids to play now, in order (the first plays).
        message(str): a line for the status bar.
        playlists_loaded(): the list of playlists was (re)loaded.
        entries_loaded(): the selected playlist's entries were (re)loaded.
    """

    play_requested = Signal(list)
    radio_requested = Signal(list, str)  # a seed (track ids, in order) and its name
    message = Signal(str)
    playlists_loaded = Signal()
    entries_loaded = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        queue: QueueModel,
        tracks: Callable[[Sequence[int]], Sequence[TrackLike]],
        selected: Callable[[], Sequence[TrackLike]],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._runner = runner
        self._queue = queue
        self._tracks = tracks  # library rows by id, from memory
        self._selected_tracks = selected
        self._store: DatabasePlaylists | None = None
        self._selected: int | None = None
        self.playlists = PlaylistListModel(self)
        self.entries = PlaylistEntriesModel(self)
        self._build()
        self.playlists.rename_requested.connect(self.rename)
        self.entries.moved.connect(self._save_move)
        self.entries.tracks_dropped.connect(self.add_tracks)
        self.setEnabled(False)  # until the database is open

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        style = self.style()
        icon = style.standardIcon
        self.list_view = QListView()
        self.list_view.setModel(self.playlists)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list_view.selectionModel().currentChanged.connect(self._on_current)
        self.list_view.activated.connect(lambda _i: self.play())
        self.table = QTableView()
        self.table.setModel(self.entries)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.table.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.table.setDropIndicatorShown(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ARTIST, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(ARTIST, 90)
        self.table.activated.connect(lambda index: self.play(index.row()))

        pixmap, keys = QStyle.StandardPixmap, QKeySequence.StandardKey
        f2, delete, save = (
            QKeySequence(Qt.Key.Key_F2),
            QKeySequence(keys.Delete),
            QKeySequence(keys.Save),
        )
        table = (
            ("save_queue", "Save Queue as Playlist…", pixmap.SP_DialogSaveButton, self.save_queue,
             save),
            ("import", "Import Playlist…", pixmap.SP_DialogOpenButton, self.import_file),
            ("export", "Export Playlist…", pixmap.SP_DriveHDIcon, self.export_current),
            ("rename", "Rename Playlist", None, self.start_rename, f2),
            ("delete", "Delete Playlist…", pixmap.SP_TrashIcon, self.delete_current),
            ("play", "Play Playlist", pixmap.SP_MediaPlay, self.play),
            ("radio", "Start Radio from Playlist", None, self.start_radio),
            ("play_here", "Play from Here", pixmap.SP_MediaSeekForward, self.play_from_selected),
            ("remove", "Remove from Playlist", None, self.remove_selected, delete),
            ("add_selected", "Add to Playlist…", None, self.add_selected),
        )  # fmt: skip
        self.actions_by_name = {
            name: self._action(text, None if kind is None else icon(kind), slot, *shortcut)
            for name, text, kind, slot, *shortcut in table
        }
        a = self.actions_by_name
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.list_view.addActions([a["play"], a["radio"], a["rename"], a["export"], a["delete"]])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addActions([a["play_here"], a["remove"]])
        a["rename"].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        a["remove"].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)

        top = QHBoxLayout()
        top.addStretch(1)
        for name in ("save_queue", "import", "export", "delete"):
            top.addWidget(self._button(a[name]))
        self.name_label = QLabel("")
        self.name_label.setStyleSheet("color: palette(mid);")
        middle = QHBoxLayout()
        middle.addWidget(self.name_label, 1)
        middle.addWidget(self._button(a["play"]))
        middle.addWidget(self._button(a["play_here"]))
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(middle)
        lower_layout.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.list_view)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([160, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._update_actions()

    def _action(self, text, icon, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(icon)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    @staticmethod
    def _button(action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAutoRaise(True)
        return button

    # -- loading ---------------------------------------------------------------------------
    def attach(self, store: DatabasePlaylists) -> None:
        """Connect to the playlists in the database and load them."""
        self._store = store
        self.setEnabled(True)
        self.refresh()

    def refresh(self) -> None:
        """Reload the playlists and the selected one's entries (e.g. after a scan)."""
        store = self._store
        if store is not None:
            self._run(store.list, self._show_playlists, "Could not load the playlists")

    def _show_playlists(self, infos: list[PlaylistInfo], select: int | None = None) -> None:
        keep = select if select is not None else self._selected
        self.playlists.set_playlists(infos)
        row = self.playlists.row_of(keep) if keep is not None else -1
        if row < 0 and infos and keep is not None:
            row = 0
        if row >= 0:
            self._selected = infos[row].id  # first: the current-row change must not load again
            self.list_view.setCurrentIndex(self.playlists.index(row))
            self._load_entries(infos[row].id)
        else:
            self._selected = None
            self.entries.set_items(None, [])
            self._update_actions()
        self.playlists_loaded.emit()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        info = self.playlists.playlist(current.row()) if current.isValid() else None
        if info is not None and info.id != self._selected:
            self._load_entries(info.id)

    def _load_entries(self, playlist_id: int) -> None:
        self._selected = playlist_id
        store = self._store
        if store is None:
            return

        def show(items) -> None:
            if self._selected == playlist_id:
                self.entries.set_items(playlist_id, items)
                self._update_actions()
                self.entries_loaded.emit()

        self._run(lambda: store.items(playlist_id), show, "Could not load the playlist")

    def _update_actions(self) -> None:
        info = self.current_playlist()
        has_entries = self.entries.rowCount() > 0
        for name in ("rename", "export", "delete"):
            self.actions_by_name[name].setEnabled(info is not None)
        for name in ("play", "play_here", "remove", "radio"):
            self.actions_by_name[name].setEnabled(has_entries)
        if info is None:
            self.name_label.setText("")
            return
        missing = f", {info.missing} missing" if info.missing else ""
        self.name_label.setText(f"{info.entries} entries{missing}")  # the name is selected above

    def current_playlist(self) -> PlaylistInfo | None:
        """The selected playlist."""
        row = self.playlists.row_of(self._selected) if self._selected is not None else -1
        return self.playlists.playlist(row)

    # -- playing ---------------------------------------------------------------------------
    def play(self, from_row: int = 0) -> None:
        """Play the playlist from ``from_row``; missing entries are passed over."""
        items = self.entries.items()[from_row:]
        ids = [i.track_id for i in items if i.available and i.track_id is not None]
        skipped = len(items) - len(ids)
        if not ids:
            if items:
                self.message.emit("Nothing to play: every entry from there on is missing.")
            return
        self.play_requested.emit(ids)
        if skipped:
            self.message.emit(f"{skipped} missing entries passed over.")

    def start_radio(self) -> None:
        """Radio seeded with the playlist: its first track plays, the rest primes radio."""
        info = self.current_playlist()
        items = self.entries.items()
        ids = [i.track_id for i in items if i.available and i.track_id is not None]
        if info is None or not ids:
            self.message.emit("Nothing to start radio from: the playlist has no playable entry.")
            return
        self.radio_requested.emit(ids, f"the playlist “{info.name}”")

    def play_from_selected(self) -> None:
        """Play from the first selected entry."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        self.play(rows[0] if rows else 0)

    # -- editing ---------------------------------------------------------------------------
    def save_queue(self, name: str | None = None) -> None:
        """Save the queue (played entries included) as a new playlist; asks for a name."""
        entries = self._queue.entries()
        store = self._store
        if store is None:
            return
        if not entries:
            self.message.emit("The queue is empty: nothing to save.")
            return
        if (
            name is None
            and (name := ask_name(self, "Save Queue as Playlist", self._free_name())) is None
        ):
            return
        self._run(
            lambda: store.create(name, entries),
            lambda info: self._after_change(
                info, f"Saved {info.entries} entries as “{info.name}”."
            ),
            "Could not save the playlist",
        )

    def _free_name(self) -> str:
        base = time.strftime("Queue %Y-%m-%d")
        taken, name, n = self.playlists.names(), base, 1
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        return name

    def add_selected(self) -> None:
        """Add the library's selected tracks to a playlist the user picks (or names anew)."""
        tracks = self._selected_tracks()
        if not tracks or self._store is None:
            return
        names = [info.name for info in self.playlists.infos()] or [self._free_name()]
        current = self.current_playlist()
        name = ask_playlist(self, names, current.name if current else None, len(tracks))
        if name is not None:
            self.add_to(name, [t.id for t in tracks])

    def add_to(self, name: str, track_ids: list[int]) -> None:
        """Add tracks to the playlist called ``name``, made when there is none."""
        info = next((i for i in self.playlists.infos() if i.name == name), None)
        if info is not None:
            self.add_tracks(track_ids, playlist_id=info.id)
            return
        store, sources = self._store, entry_sources(self._tracks(track_ids))
        if store is not None and sources:
            self._run(
                lambda: store.create(name, sources),
                lambda made: self._after_change(made, f"Made the playlist “{made.name}”."),
                "Could not make the playlist",
            )  # fmt: skip

    def add_tracks(
        self, track_ids: list[int], dest: int | None = None, *, playlist_id=None
    ) -> None:
        """Add library tracks to a playlist (the shown one by default) before row ``dest``."""
        playlist_id = playlist_id if playlist_id is not None else self.entries.playlist_id
        store, sources = self._store, entry_sources(self._tracks(track_ids))
        if playlist_id is None or store is None or not sources:
            return

        def done(_items) -> None:
            self._selected = playlist_id
            self.refresh()
            self.message.emit(f"Added {len(sources)} tracks.")

        self._run(lambda: store.add(playlist_id, sources, dest), done,
                  "Could not add the tracks")  # fmt: skip

    def start_rename(self) -> None:
        """Edit the selected playlist's name in place."""
        row = self.playlists.row_of(self._selected) if self._selected is not None else -1
        if row >= 0:
            self.list_view.edit(self.playlists.index(row))

    def rename(self, playlist_id: int, name: str) -> None:
        """Rename a playlist (from the in-place editor)."""
        store = self._store
        if store is not None:
            self._run(lambda: store.rename(playlist_id, name), self._after_change,
                      "Could not rename the playlist")  # fmt: skip

    def delete_current(self, *, confirm: bool = True) -> None:
        """Delete the selected playlist after asking."""
        info, store = self.current_playlist(), self._store
        if info is None or store is None:
            return
        if confirm and not confirm_delete(self, info.name):
            return
        self._selected = None

        def done(infos: list[PlaylistInfo]) -> None:
            self._show_playlists(infos)
            self.message.emit(f"Deleted the playlist “{info.name}”.")

        self._run(lambda: (store.delete(info.id), store.list())[1], done,
                  "Could not delete the playlist")  # fmt: skip

    def remove_selected(self) -> None:
        """Take the selected entries out of the playlist."""
        playlist_id, store = self.entries.playlist_id, self._store
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        if playlist_id is None or store is None or not rows:
            return
        ids = [self.entries.item(r).entry_id for r in rows]
        self._run(lambda: store.remove(playlist_id, ids), lambda _items: self.refresh(),
                  "Could not remove the entries")  # fmt: skip

    def _save_move(self, entry_ids: list[int], dest: int) -> None:
        playlist_id, store = self.entries.playlist_id, self._store
        if playlist_id is None or store is None:
            return

        def failed(text: str) -> None:
            self.message.emit(text)
            self.refresh()  # show the order the database kept

        self._run(lambda: store.move(playlist_id, entry_ids, dest), lambda _items: None,
                  "Could not save the new order", failed)  # fmt: skip

    def _after_change(self, info: PlaylistInfo, text: str | None = None) -> None:
        store = self._store
        if store is None:
            return
        self._run(store.list, lambda infos: self._show_playlists(infos, select=info.id),
                  "Could not load the playlists")  # fmt: skip
        if text:
            self.message.emit(text)

    # -- files -----------------------------------------------------------------------------
    def import_file(self, path: Path | None = None) -> None:
        """Import a playlist file; what could not be read is shown in a box."""
        store = self._store
        if store is None:
            return
        if path is None and (path := ask_import_path(self)) is None:
            return
        self._run(lambda: store.import_file(path), lambda r: self._imported(path, r),
                  f"Could not import {path.name}")  # fmt: skip

    def _imported(self, path: Path, report: ImportReport) -> None:
        info = report.playlist
        missing = f" ({info.missing} missing)" if info.missing else ""
        self._after_change(info, f"Imported {info.entries} entries as “{info.name}”{missing}.")
        if report.problems_total:
            show_import_problems(self, path, report)

    def export_current(self, path: Path | None = None) -> None:
        """Write the selected playlist to a file (format from the suffix)."""
        info, store = self.current_playlist(), self._store
        if info is None or store is None:
            return
        if path is None and (path := ask_export_path(self, info.name)) is None:
            return
        self._run(lambda: store.export_file(info.id, info.name, path),
                  lambda n: self.message.emit(f"Exported {n} entries to {path}."),
                  "Could not export the playlist")  # fmt: skip

    # -- running off the GUI thread --------------------------------------------------------
    def _run(self, fn, done, failure: str, on_failed=None) -> None:
        """Run ``fn`` on the pool; ``done(result)`` back here, unless the pane is gone by then."""

        def finished(result) -> None:
            if isValid(self):
                done(result)

        def failed(exc: Exception) -> None:
            text = f"{failure}: {exc}"
            log.warning("%s", text)
            if isValid(self):
                (on_failed or self.message.emit)(text)

        self._runner.run(fn, finished, failed, owner=self)
