"""The library browser pane: an artist -> album tree and an album grid with covers, either one
shown; choosing an entry narrows the library table, double-clicking plays it through."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from player.albums import AlbumKey
from player.ui.browser_index import Album, Artist, BrowseIndex, Cover, Disc, build_index
from player.ui.browser_model import AlbumGridModel, BrowseTreeModel, EntryRole, TrackIdsRole
from player.ui.cover_cache import CoverCache
from player.ui.tasks import TaskRunner

if TYPE_CHECKING:  # types only: the window must not import the database layer at start-up
    from player.library import TrackRow

TREE, GRID = 0, 1
COVER = 128
_TILE = QSize(COVER + 28, COVER + 52)


class AlbumTileDelegate(QStyledItemDelegate):
    """A grid tile: the cover, the album title in bold and the artist below, each on one line."""

    def sizeHint(self, option, index) -> QSize:
        return _TILE

    def paint(self, painter, option, index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            color = QColor(option.palette.color(QPalette.ColorRole.Highlight))
            if not selected:
                color.setAlpha(60)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(option.rect.adjusted(2, 2, -2, -2)), 6, 6)
        r = option.rect
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        cover = QRect(r.x() + (r.width() - COVER) // 2, r.y() + 6, COVER, COVER)
        if pixmap is not None:
            scaled = pixmap.size().scaled(cover.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(cover.center())
            painter.drawPixmap(target, pixmap)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        title, _, artist = (index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        bold = QFont(option.font)
        bold.setBold(True)
        lines = ((title, bold), (artist, option.font))
        y = cover.bottom() + 6
        for text, font in lines:
            painter.setFont(font)
            metrics = painter.fontMetrics()
            line = QRect(r.x() + 4, y, r.width() - 8, metrics.height())
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, line.width())
            painter.drawText(
                line, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, elided
            )
            y += metrics.height()
        painter.restore()


class BrowserPane(QWidget):
    """Tree or grid over the library's artists and albums.

    Signals:
        scope_chosen(object): the track ids chosen (a tuple), or None for every track.
        play_requested(object): track ids to play now, in album order.
        enqueue_requested(object): track ids to add to the queue, in album order.
    """

    scope_chosen = Signal(object)
    play_requested = Signal(object)
    enqueue_requested = Signal(object)

    def __init__(self, runner: TaskRunner, covers: CoverCache, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._pending: list[TrackRow] | None = None
        self._building = False
        self._pause = QTimer(self, singleShot=True)  # between rebuilds while rows keep coming
        self._pause.timeout.connect(self._build)
        self._scope: tuple[int, ...] | None = None
        self._open: set[tuple[str, AlbumKey | None]] = set()  # expanded artists and albums
        self.tree_model = BrowseTreeModel(self)
        self.grid_model = AlbumGridModel(runner, lambda c: self._read_cover(covers, c), COVER, self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(True)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        self.tree.setUniformRowHeights(True)  # no per-row size query at thousands of artists
        self.tree.setExpandsOnDoubleClick(False)  # double-click plays; the arrow expands
        self.grid = QListView()
        self.grid.setModel(self.grid_model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)  # 10,000 tiles: no stall on show
        self.grid.setGridSize(_TILE)
        self.grid.setIconSize(QSize(COVER, COVER))
        self.grid.setItemDelegate(AlbumTileDelegate(self.grid))
        self.grid.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.grid)
        self.mode_buttons = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for mode, (text, tip) in enumerate(
            (("Artists", "Artists and their albums"), ("Albums", "Albums with their covers"))
        ):
            button = QToolButton(text=text, toolTip=tip, checkable=True, autoRaise=True)
            self.mode_buttons.addButton(button, mode)
            bar.addWidget(button)
        bar.addStretch(1)
        self.mode_buttons.button(TREE).setChecked(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self._build_actions()
        self.tree.expanded.connect(lambda i: self._opened(i, True))
        self.tree.collapsed.connect(lambda i: self._opened(i, False))
        self.mode_buttons.idToggled.connect(lambda mode, on: on and self.set_mode(mode))
        for view in (self.tree, self.grid):
            view.selectionModel().currentChanged.connect(lambda cur, _prev: self._choose(cur))
            view.doubleClicked.connect(lambda i: self._request(self.play_requested, i))
        self.set_index(build_index([]))

    def _build_actions(self) -> None:
        for view in (self.tree, self.grid):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            play = QAction("Play", view)
            play.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
            play.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            play.triggered.connect(lambda _c=False, v=view: self._request_current(v, True))
            enqueue = QAction("Add to Queue", view)
            enqueue.triggered.connect(lambda _c=False, v=view: self._request_current(v, False))
            view.addActions([play, enqueue])

    @staticmethod
    def _read_cover(covers: CoverCache, cover: Cover):
        return covers.image(cover.path, cover.cover_path, cover.has_embedded)

    # -- content ---------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[TrackRow]) -> None:
        """Rebuild from the library's rows, on a worker thread (only the newest rows are
        built when they arrive faster than a build takes)."""
        self._pending = list(rows)
        if not self._building:
            self._build()

    def _build(self) -> None:
        rows, self._pending = self._pending or [], None
        self._building = True

        def work() -> tuple[BrowseIndex, float]:
            start = time.monotonic()
            return build_index(rows), time.monotonic() - start

        self._runner.run(work, self._built, self._build_failed)

    def _built(self, result: tuple[BrowseIndex, float]) -> None:
        if not shiboken6.isValid(self):  # the window went (quit) while the worker built
            return
        index, seconds = result
        self.set_index(index)
        if self._pending is None:
            self._building = False
        else:  # rows keep coming (a scan): pause so the lists take at most a third of a thread
            self._pause.start(int(seconds * 2000))

    def _build_failed(self, _exc: Exception) -> None:  # logged by the runner
        if shiboken6.isValid(self):
            self._building = False

    def set_index(self, index: BrowseIndex) -> None:
        """Show ``index``, keeping the chosen entry (and the table's filter) when it remains."""
        tree_key = self._tree_key()
        tree_scroll = self.tree.verticalScrollBar().value()
        grid_entry = self.grid_model.album(self.grid.currentIndex().row())
        self.tree_model.set_index(index)
        self.grid_model.set_index(index)
        tree_at = self.tree_model.index(0, 0)
        if tree_key is not None and (found := self.tree_model.index_of(*tree_key)).isValid():
            tree_at = found
        grid_at = self.grid_model.index(0, 0)
        if grid_entry is not None and (row := self.grid_model.row_of(grid_entry.key)) >= 0:
            grid_at = self.grid_model.index(row, 0)
        for key in list(self._open):  # a rebuild (a scan, a new file) keeps the tree as it was
            self.tree.expand(self.tree_model.index_of(*key))
        for view, at in ((self.tree, tree_at), (self.grid, grid_at)):
            view.selectionModel().setCurrentIndex(
                at, view.selectionModel().SelectionFlag.ClearAndSelect
            )
        if tree_scroll:  # where the user was, not the top (cheap: rows of one height)
            self.tree.doItemsLayout()
            self.tree.verticalScrollBar().setValue(tree_scroll)
        self.grid.scrollTo(grid_at)  # the grid lays out in batches: its chosen album
        self._choose(self._view().currentIndex())

    def _opened(self, index: QModelIndex, is_open: bool) -> None:
        entry = self.tree_model.entry(index)
        key = (entry.key, None) if isinstance(entry, Artist) else None
        if isinstance(entry, Album):
            key = (entry.key[0], entry.key)
        if key is not None:
            if is_open:
                self._open.add(key)
            else:
                self._open.discard(key)

    def _tree_key(self) -> tuple[str, AlbumKey | None, int] | None:
        """Where the tree's current entry is: artist key, album key, disc number."""
        current = self.tree.currentIndex()
        entry = self.tree_model.entry(current)
        if isinstance(entry, Artist):
            return (entry.key, None, 0)
        if isinstance(entry, Album):
            return (entry.key[0], entry.key, 0)
        album = self.tree_model.entry(current.parent())
        if isinstance(entry, Disc) and isinstance(album, Album):
            return (album.key[0], album.key, entry.number)
        return None

    # -- choosing and playing --------------------------------------------------------------
    @property
    def mode(self) -> int:
        """TREE or GRID."""
        return self.stack.currentIndex()

    def set_mode(self, mode: int) -> None:
        """Show the tree or the grid; the table follows what the shown one has chosen."""
        self.stack.setCurrentIndex(mode)
        self.mode_buttons.button(mode).setChecked(True)
        self._choose(self._view().currentIndex())

    def _view(self) -> QAbstractItemView:
        return self.grid if self.mode == GRID else self.tree

    def _choose(self, index: QModelIndex) -> None:
        if index.model() is not self._view().model():
            return  # the hidden view's choice waits until it is shown
        ids = index.data(TrackIdsRole) if index.isValid() else None
        if ids != self._scope:
            self._scope = ids
            self.scope_chosen.emit(ids)

    @property
    def scope(self) -> tuple[int, ...] | None:
        """The track ids chosen, None for all."""
        return self._scope

    def _request(self, signal, index: QModelIndex) -> None:
        ids = index.data(TrackIdsRole)
        if ids:
            signal.emit(ids)

    def _request_current(self, view: QAbstractItemView, play: bool) -> None:
        self._request(self.play_requested if play else self.enqueue_requested, view.currentIndex())

    def entry(self) -> Artist | Album | Disc | None:
        """What the shown view has chosen (None for "All")."""
        return self._view().currentIndex().data(EntryRole)
