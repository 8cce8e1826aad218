"""The main window: library table with search, now-playing panel, queue, transport, status bar.

It shows things and forwards the user's wishes to the controller; playback logic lives in
``player.controller`` and history bookkeeping in ``player.tracker``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from player.controller import PLAY_THROUGH_LIMIT, PlayerController
from player.memory import release_freed_memory
from player.playback import Playable, PlayState
from player.plugin_api import Outcome, TrackEnded
from player.ui.actions import SEEK_STEP_MS, SearchKeys, build_actions
from player.ui.browser import GRID, TREE, BrowserPane
from player.ui.cover_cache import CoverCache
from player.ui.library_model import LibraryModel, make_library_proxy
from player.ui.library_rows import ARTIST, COLUMNS, PreparedRows, prepare_rows
from player.ui.panels import NoMatchPage, NowPlayingPanel, QueuePanel, WelcomePage
from player.ui.play_modes import PlayModes
from player.ui.settings_dialog import SettingsDialog, default_music_dir
from player.ui.settings_store import SettingsStore
from player.ui.status import StatusArea
from player.ui.tasks import ScanJob, TaskRunner
from player.ui.transport import TransportBar

if TYPE_CHECKING:  # types only: the database layer loads after the window is shown
    from player.library import TrackRow
    from player.scanner import ScanProgress, ScanReport
    from player.ui.library_access import LibraryAccess

log = logging.getLogger(__name__)

_COLUMN_WIDTHS = (260, 170, 210, 48, 56, 110, 52, 52)


class MainWindow(QMainWindow):
    """The Segue window.

    Signals:
        library_loading(): :meth:`start` began to read the library.
        library_load_failed(): that read failed.
        library_loaded(list[TrackRow]): the library was (re)loaded, e.g. after a scan.
        library_scanned(ScanReport): a scan finished.
        options_changed(Options): the user changed options in the settings dialog.

    Seams for the radio: ``radio_action`` (checkable, Ctrl+R, disabled until enabled),
    ``menus["playback"]`` / ``menus["tools"]``, :meth:`show_message`, :meth:`begin_progress`.
    """

    library_loading = Signal()
    library_load_failed = Signal()
    library_loaded = Signal(list)
    library_scanned = Signal(object)
    options_changed = Signal(object)

    def __init__(
        self,
        *,
        controller: PlayerController,
        store: SettingsStore,
        covers: CoverCache,
        runner: TaskRunner,
    ) -> None:
        super().__init__()
        self._library: LibraryAccess | None = None
        self._controller = controller
        self._playback = controller.playback
        self._store = store
        self._covers = covers
        self._runner = runner
        self._rows_loaded_once = False
        self._closed = False
        self.setWindowTitle("Segue")
        self.setMinimumSize(640, 420)
        self.actions_by_name = build_actions(self)
        self.radio_action = self.actions_by_name["radio"]
        self.model = LibraryModel(self)
        self.model.set_playing_icon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.proxy = make_library_proxy(self.model, self)
        self.scan_job = ScanJob(runner, parent=self)
        # The model's heavy preparation runs on the scan's worker thread too.
        self.scan_job.set_prepare(lambda rows: prepare_rows(rows, self.model.sort_spec))
        self._build_widgets()
        self._build_menus()
        self._connect()
        self._restore_layout()

    # -- construction ----------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, artist, album  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(
            self.actions_by_name["search"].icon(), QLineEdit.ActionPosition.LeadingPosition
        )
        self._search_keys = SearchKeys(self.search, self.actions_by_name)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        # Sorting goes to the model (see make_library_proxy), driven by the header below.
        self.table.setSortingEnabled(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setStyleSheet("QTableView::item { padding: 0 6px; }")
        self.table.horizontalHeader().setStyleSheet("QHeaderView::section { padding: 2px 6px; }")
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        rows = self.table.verticalHeader()
        rows.hide()
        # One fixed height for every row: the view never asks 100,000 rows for their size.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for name in ("play_selected", "play_next", "enqueue"):
            self.table.addAction(self.actions_by_name[name])
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self.model.sort)
        # Until the user picks a column (or a saved layout has one): artist, album, disc, track.
        header.setSortIndicator(ARTIST, Qt.SortOrder.AscendingOrder)
        for col, width in enumerate(_COLUMN_WIDTHS):
            header.resizeSection(col, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)

        self.welcome = WelcomePage(default_music_dir())
        self.welcome.choose_requested.connect(self.choose_music_folder)
        self.no_match = NoMatchPage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.no_match)
        library = QWidget()
        lib_layout = QVBoxLayout(library)
        lib_layout.setContentsMargins(8, 8, 0, 0)
        lib_layout.addWidget(self.search)
        lib_layout.addWidget(self.stack, 1)

        self.now_playing = NowPlayingPanel()
        self.queue_panel = QueuePanel(self._controller.queue)
        self.side_splitter = QSplitter(Qt.Orientation.Vertical)
        self.side_splitter.addWidget(self.now_playing)
        self.side_splitter.addWidget(self.queue_panel)
        self.side_splitter.setStretchFactor(1, 1)
        self.browser = BrowserPane(self._runner, self._covers)
        self.browser_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.browser_splitter.addWidget(self.browser)
        self.browser_splitter.addWidget(library)
        self.browser_splitter.setStretchFactor(1, 1)
        self.browser_splitter.setSizes([250, 630])
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.browser_splitter)
        self.main_splitter.addWidget(self.side_splitter)
        self.main_splitter.setStretchFactor(0, 1)
        self.main_splitter.setSizes([880, 300])

        self.transport = TransportBar(self.actions_by_name)
        self.play_modes = PlayModes(
            self.actions_by_name["shuffle"],
            self.actions_by_name["repeat"],
            self._controller,
            self._store,
        )
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.main_splitter, 1)
        layout.addWidget(self.transport)
        self.setCentralWidget(central)

        self.status = StatusArea(self.statusBar())
        self.resize(1280, 800)

    def _build_menus(self) -> None:
        a = self.actions_by_name
        bar = self.menuBar()
        self.menus = {
            "file": bar.addMenu("&File"),
            "playback": bar.addMenu("&Playback"),
            "tools": bar.addMenu("&Tools"),
            "help": bar.addMenu("&Help"),
        }
        self.menus["file"].addActions([a["add_folder"], a["rescan"], a["settings"]])
        self.menus["file"].addSeparator()
        self.menus["file"].addAction(a["quit"])
        self.menus["playback"].addActions([a["play"], a["stop"], a["previous"], a["next"]])
        self.menus["playback"].addSeparator()
        self.menus["playback"].addActions([a["seek_back"], a["seek_forward"]])
        self.menus["playback"].addSeparator()
        self.menus["playback"].addActions([a["shuffle"], a["repeat"]])
        self.menus["playback"].addSeparator()
        self.menus["playback"].addActions([a["play_next"], a["enqueue"], a["radio"]])
        self.menus["tools"].addAction(a["search"])
        self.menus["help"].addAction(a["about"])

    def _connect(self) -> None:
        a, c, p = self.actions_by_name, self._controller, self._playback
        a["play"].triggered.connect(c.play_pause)
        a["stop"].triggered.connect(c.stop)
        a["previous"].triggered.connect(c.previous)
        a["next"].triggered.connect(c.next)
        a["seek_back"].triggered.connect(lambda: p.seek(p.position_ms - SEEK_STEP_MS))
        a["seek_forward"].triggered.connect(lambda: p.seek(p.position_ms + SEEK_STEP_MS))
        a["search"].triggered.connect(self._focus_search)
        a["play_selected"].triggered.connect(self.play_selected)
        a["play_next"].triggered.connect(lambda: c.queue.insert_next(self.selected_tracks()))
        a["enqueue"].triggered.connect(lambda: c.queue.add(self.selected_tracks()))
        a["add_folder"].triggered.connect(self.choose_music_folder)
        a["rescan"].triggered.connect(self.rescan)
        a["settings"].triggered.connect(self.open_settings)
        a["quit"].triggered.connect(self.close)
        a["about"].triggered.connect(self._about)
        # Every keystroke filters at once, in order (no delay: at 100,000 tracks the filter and
        # the repaint take well under the time between two keys; bench/ui.py).
        self.search.textChanged.connect(self.model.set_search)
        self.table.activated.connect(lambda _i: self.play_selected())
        self.browser.scope_chosen.connect(self.model.set_scope)
        self.browser.play_requested.connect(lambda ids: c.play_through(self.model.tracks(ids)))
        self.browser.enqueue_requested.connect(lambda ids: c.queue.add(self.model.tracks(ids)))
        self.library_loaded.connect(self.browser.set_rows)
        self.model.rowsInserted.connect(lambda *_: self.browser.set_rows(self.model.rows()))
        self.queue_panel.row_activated.connect(c.play_row)
        self.transport.seek_requested.connect(p.seek)
        self.transport.volume_requested.connect(p.set_volume)
        p.volume_changed.connect(self.transport.set_volume)  # also when set over MPRIS
        p.track_loaded.connect(self._on_track_loaded)
        p.state_changed.connect(self._on_state)
        p.position_changed.connect(self._on_position)
        p.duration_changed.connect(self._on_duration)
        c.message.connect(self.show_message)
        c.track_missing.connect(self._on_track_missing)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.scan_job.progressed.connect(self._on_scan_progress)
        self.scan_job.rows_loaded.connect(self._set_rows)
        self.scan_job.rows_changed.connect(self.model.merge_rows)
        self.scan_job.finished.connect(self._on_scan_finished)
        self.scan_job.failed.connect(self._on_scan_failed)

    @property
    def controller(self) -> PlayerController:
        """The queue and playback controller."""
        return self._controller

    @property
    def runner(self) -> TaskRunner:
        """The task pool (database work off the GUI thread)."""
        return self._runner

    def playing_track_id(self) -> int | None:
        """The track loaded in playback (playing or paused), if any."""
        current = self._playback.current
        return current.track_id if current is not None else None

    # -- start-up, layout ------------------------------------------------------------------
    def attach_library(self, library: LibraryAccess) -> None:
        """Connect the window to the library (after start-up, once the database is open)."""
        self._library = library
        self.scan_job.attach(library)

    def start(self, music_dirs: list[Path] | None = None) -> None:
        """Load the library in the background; scan ``music_dirs`` (added to the folders)."""
        library = self._library
        if library is None:
            raise RuntimeError("attach_library() first")
        notice = ""
        if music_dirs:
            missing = [d for d in music_dirs if not d.is_dir()]
            music_dirs = [d for d in music_dirs if d.is_dir()]
            if missing:  # not saved: a mistyped --music-dir must not stay in the settings
                names = ", ".join(str(d) for d in missing)
                notice = f"Music folder not found: {names}"
                log.warning("%s", notice)
            self._store.set_music_folders([*self._store.music_folders(), *music_dirs])
        self.show_message("Loading library…")

        def loaded(prepared: PreparedRows) -> None:
            self._set_rows(prepared)
            rows = prepared.rows
            self._restore_queue()
            self.library_loaded.emit(rows)
            release_freed_memory()  # the reading's buffers and copies, now that all took theirs
            if music_dirs:
                self.scan(music_dirs)
            if notice:
                self.show_message(notice, 0)
            elif music_dirs:
                return  # the scan's progress speaks
            elif not rows and not self._store.music_folders():
                self.show_message("No music yet: choose a music folder to begin.")
            else:  # the count is on the right already (it said the same twice)
                self.status.bar.clearMessage()

        spec = self.model.sort_spec
        self._runner.run(
            lambda: prepare_rows(library.load_rows(), spec),
            loaded,
            self._on_load_failed,
            owner=self,
        )
        self.library_loading.emit()

    def reload_library(self) -> None:
        """Load the rows again in the background (play counts after an import)."""
        library = self._library
        if library is not None:
            spec = self.model.sort_spec
            self._runner.run(
                lambda: prepare_rows(library.load_rows(), spec),
                self._set_rows,
                self._on_load_failed,
            )

    def _restore_layout(self) -> None:
        store = self._store
        if (blob := store.blob("geometry")) is not None:
            self.restoreGeometry(blob)
        if (blob := store.blob("main_splitter")) is not None:
            self.main_splitter.restoreState(blob)
        if (blob := store.blob("side_splitter")) is not None:
            self.side_splitter.restoreState(blob)
        if (blob := store.blob("browser_splitter")) is not None:
            self.browser_splitter.restoreState(blob)
        self.browser.set_mode(GRID if store.value("window/browser_mode") == "grid" else TREE)
        header = self.table.horizontalHeader()
        if (blob := store.blob("library_header")) is not None and header.restoreState(blob):
            section = header.sortIndicatorSection()
            if 0 <= section < len(COLUMNS):
                self.model.sort(section, header.sortIndicatorOrder())
            else:  # saved before there was a default sort: the user never picked a column
                header.setSortIndicator(ARTIST, Qt.SortOrder.AscendingOrder)
        volume = store.volume()
        self._playback.set_volume(volume)
        self.transport.set_volume(volume)

    def restore_docks(self) -> None:
        """Show, hide and size the docks as the user left them (call once they are added:
        Qt matches each saved dock by its object name)."""
        if (blob := self._store.blob("docks")) is not None:
            self.restoreState(blob)

    def _restore_queue(self) -> None:
        entries, row, position = self._store.queue()
        pairs = [(t, o) for tid, o in entries if (t := self.model.track(tid)) is not None]
        if not pairs:
            return
        self._controller.queue.restore(pairs, min(row, len(pairs) - 1))
        self._controller.restore(position)

    def save_state(self) -> None:
        """Remember layout, volume, queue and position."""
        store = self._store
        store.set_blob("geometry", self.saveGeometry())
        store.set_blob("main_splitter", self.main_splitter.saveState())
        store.set_blob("side_splitter", self.side_splitter.saveState())
        store.set_blob("browser_splitter", self.browser_splitter.saveState())
        store.set_value("window/browser_mode", "grid" if self.browser.mode == GRID else "tree")
        store.set_blob("library_header", self.table.horizontalHeader().saveState())
        store.set_blob("docks", self.saveState())
        store.set_volume(self._playback.volume)
        queue = self._controller.queue
        store.set_queue(
            [(e.track_id, e.origin) for e in queue.entries()],
            queue.current_row,
            self._playback.position_ms,
        )
        store.sync()

    def closeEvent(self, event) -> None:
        if not self._closed:  # once: after quitting, playback may already be gone
            self._closed = True
            self.scan_job.cancel()
            self.save_state()
        super().closeEvent(event)

    # -- library ---------------------------------------------------------------------------
    def _set_rows(self, rows: list[TrackRow] | PreparedRows) -> None:
        self.model.set_rows(rows)
        self._rows_loaded_once = True
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.library_size()
        searching = bool(self.model.search_terms)
        if shown < total:  # a search or a browser choice narrows the table
            self.status.count_label.setText(f"{shown:,} of {total:,} tracks")
        else:
            self.status.count_label.setText(f"{total:,} tracks" if total else "")
        if shown or (self.scan_job.running and not searching):
            self.stack.setCurrentWidget(self.table)
        elif searching and total:
            self.no_match.set_query(self.search.text())
            self.stack.setCurrentWidget(self.no_match)
        else:  # an empty library offers a music folder; an empty browser choice keeps the table
            self.stack.setCurrentWidget(self.table if total else self.welcome)

    def selected_tracks(self) -> list[TrackRow]:
        """Selected library tracks, in view order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.row(self.proxy.mapToSource(self.proxy.index(r, 0)).row()) for r in rows]

    def play_selected(self) -> None:
        """Play from the view: one selected track plays, then the rows after it in the view
        (an album or a search result plays through); several selected play in view order."""
        rows = self.table.selectionModel().selectedRows()
        tracks = self.tracks_from(rows[0].row()) if len(rows) == 1 else self.selected_tracks()
        if tracks:
            self._controller.play_through(tracks)

    def tracks_from(self, view_row: int) -> list[TrackRow]:
        """The track at ``view_row`` and those after it, in the view's order."""
        proxy, model = self.proxy, self.model
        end = min(proxy.rowCount(), view_row + PLAY_THROUGH_LIMIT)
        return [
            model.row(proxy.mapToSource(proxy.index(r, 0)).row())
            for r in range(max(view_row, 0), end)
        ]

    def choose_music_folder(self) -> None:
        """Ask for a music folder (starting at the XDG music dir), remember it and scan it."""
        folders = self._store.music_folders()
        start = folders[-1] if folders else default_music_dir()
        chosen = QFileDialog.getExistingDirectory(self, "Choose your music folder", str(start))
        if chosen:
            self._store.set_music_folders([*folders, Path(chosen)])
            self.scan([Path(chosen)])

    def open_settings(self) -> None:
        """Edit the music folders and options; rescan when the folders changed."""
        dialog = SettingsDialog(self._store.music_folders(), self, self._store.options())
        if dialog.exec():
            old = self._store.music_folders()
            self._store.set_music_folders(dialog.folders())
            if dialog.options() != self._store.options():
                self._store.set_options(dialog.options())
                self.options_changed.emit(dialog.options())
            if dialog.folders() != old:
                self.rescan()

    def rescan(self) -> None:
        """Scan every music folder again."""
        folders = self._store.music_folders()
        if not folders:
            self.choose_music_folder()
            return
        self.scan(folders)

    def scan(self, folders: list[Path]) -> None:
        """Scan ``folders`` in the background with progress in the status bar."""
        if not self.scan_job.start(folders):
            self.show_message("A scan is already running.")
            return
        self.stack.setCurrentWidget(self.table)
        self.begin_progress("Scanning…", self.scan_job.cancel)

    def _on_scan_progress(self, p: ScanProgress) -> None:
        self.update_progress(p.done, p.total, f"Scanning {p.done:,}/{p.total:,}")

    def _on_scan_finished(self, report: ScanReport) -> None:
        self.end_progress()
        self.model.resort()
        background = self.scan_job.background
        verb = "Scan cancelled" if report.cancelled else "Scan finished"
        if background:
            verb = "Library updated"
        text = f"{verb}: {report.added} added, {report.updated} updated, {report.missing} missing"
        if report.moved:
            text += f", {report.moved} moved"
        if report.failed:
            text += f", {len(report.failed)} unreadable"
        if report.attached:  # imported plays that waited for these files
            text += f", {report.attached} imported plays attached"
        if report.changed or not background:  # the watcher's scans speak only of changes
            self.show_message(text, 10000)
        if not background:
            self.status.set_unreadable(report.failed)
        elif report.failed:  # a watcher's scan adds to the list the last full scan left
            self.status.add_unreadable(report.failed)
        self._update_count()
        self._show_cover()  # a cover the scan found shows for the track already playing
        self.library_scanned.emit(report)
        if report.changed or not background:  # radio and the browser take the library again
            self.library_loaded.emit(self.model.rows())
            release_freed_memory()

    def _on_scan_failed(self, message: str) -> None:
        self.end_progress()
        self.show_message(message, 10000)

    def _on_load_failed(self, exc: Exception) -> None:
        self.show_message(f"Could not load the library: {exc}", 0)
        self.library_load_failed.emit()

    def _on_track_missing(self, track_id: int) -> None:
        self.model.mark_unavailable(track_id)
        if self._library is not None:
            library = self._library
            self._runner.run(lambda: library.mark_unavailable(track_id), lambda _r: None)

    def on_track_ended(self, event: TrackEnded) -> None:
        """Count finished plays in the table (wired to the tracker)."""
        if event.outcome == Outcome.FINISHED:
            self.model.count_finished_play(event.track_id)

    # -- status bar API --------------------------------------------------------------------
    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """Show ``text`` in the status bar (0: until replaced)."""
        self.status.show_message(text, timeout_ms)

    def begin_progress(self, label: str, cancel=None) -> None:
        """Show a progress bar for a background job; ``cancel`` backs its Cancel button."""
        self.status.begin_progress(label, cancel)

    def update_progress(self, done: int, total: int, label: str = "") -> None:
        """Move the progress bar."""
        self.status.update_progress(done, total, label)

    def end_progress(self) -> None:
        """Hide the progress bar."""
        self.status.end_progress()

    # -- playback display ------------------------------------------------------------------
    def _on_track_loaded(self, playable: Playable) -> None:
        self.model.set_playing(playable.track_id)
        self.now_playing.set_track(playable)
        self.transport.set_duration(playable.duration_ms or 0)
        title = playable.title or Path(playable.path).name
        by = f" — {playable.artist}" if playable.artist else ""
        self.setWindowTitle(f"Segue — {title}{by}")
        self._show_cover()

    def _show_cover(self) -> None:
        current = self._playback.current
        if current is None:
            return
        row = self.model.track(current.track_id)
        pixmap = None
        if row is not None:
            pixmap = self._covers.thumbnail(row.path, row.cover_path, row.has_embedded_cover)
        self.now_playing.set_cover(pixmap)

    def _on_state(self, state: str) -> None:
        self.transport.set_playing(state == PlayState.PLAYING)
        if state == PlayState.STOPPED and self._playback.current is None:
            self.transport.set_position(0)
            self.model.set_playing(None)

    def _on_position(self, ms: int) -> None:
        self.transport.set_position(ms)
        self.now_playing.set_position(ms)

    def _on_duration(self, ms: int) -> None:
        self.transport.set_duration(ms)
        self.now_playing.set_duration(ms)

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Segue",
            "<b>Segue</b> — a music player whose radio learns the order you listen in.",
        )

    def header_state(self) -> QByteArray:
        """The library header's state (column order, widths, sort)."""
        return self.table.horizontalHeader().saveState()
