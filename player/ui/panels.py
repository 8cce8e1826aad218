"""Side panels of the main window: now playing (cover, tags, time) and the queue."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeySequence, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from player.playback import Playable
from player.queue import IsCurrentRole, NoteRole, OriginRole, QueueModel
from player.ui.library_rows import format_ms


class WelcomePage(QWidget):
    """Shown while the library is empty: offers to choose the music folder.

    Signals:
        choose_requested(): the user wants to pick a folder.
    """

    choose_requested = Signal()

    def __init__(self, suggested: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h2>Welcome to Segue</h2>")
        text = QLabel(
            "Your library is empty. Choose the folder that holds your music;\n"
            "Segue scans it in the background and you can play as it goes."
        )
        for label in (title, text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton(f"Choose Music Folder…  ({suggested})")
        self.button.clicked.connect(self.choose_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class NoMatchPage(QLabel):
    """Shown when a search matches nothing (the library is not empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setStyleSheet("color: palette(mid); font-size: 13pt;")

    def set_query(self, text: str) -> None:
        """Say that nothing matches ``text``."""
        self.setText(f"No tracks match “{text.strip()}”\n\nEscape clears the search.")


class NowPlayingPanel(QWidget):
    """Cover art, title / artist / album, elapsed and total time."""

    COVER = 220

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cover = QLabel()
        self.cover.setFixedSize(self.COVER, self.COVER)
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cover.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("Nothing playing")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.artist = QLabel("")
        self.album = QLabel("")
        for label in (self.artist, self.album):
            label.setWordWrap(True)
        self.album.setStyleSheet("color: palette(mid);")
        self.time = QLabel("")
        self.time.setStyleSheet("color: palette(mid);")
        self.gain = QLabel("")
        self.gain.setStyleSheet("color: palette(mid);")
        self.gain.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.cover, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(6)
        for w in (self.title, self.artist, self.album, self.time, self.gain):
            layout.addWidget(w)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._duration = 0
        self.set_cover(None)

    def set_track(self, playable: Playable | None) -> None:
        """Show ``playable``'s tags (None: nothing playing)."""
        if playable is None:
            self.title.setText("Nothing playing")
            self.artist.setText("")
            self.album.setText("")
            self.time.setText("")
            self.set_cover(None)
            self.set_replaygain("")
            return
        self.title.setText(playable.title or playable.path.rsplit("/", 1)[-1])
        self.artist.setText(playable.artist)
        self.album.setText(playable.album)
        self._duration = playable.duration_ms or 0
        self.set_position(0)

    def set_replaygain(self, text: str) -> None:
        """Show the gain applied to the track (empty: hidden, e.g. ReplayGain off)."""
        self.gain.setText(text)
        self.gain.setVisible(bool(text))

    def set_cover(self, pixmap: QPixmap | None) -> None:
        """Show a cover, or a neutral placeholder."""
        if pixmap is None or pixmap.isNull():
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolume)
            pixmap = icon.pixmap(QSize(72, 72))
            self.cover.setPixmap(pixmap)
            return
        self.cover.setPixmap(
            pixmap.scaled(
                self.COVER - 4,
                self.COVER - 4,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def set_duration(self, ms: int) -> None:
        """The decoder's duration (more exact than the tags)."""
        if ms > 0:
            self._duration = ms

    def set_position(self, ms: int) -> None:
        """Elapsed time."""
        self.time.setText(f"{format_ms(ms)} / {format_ms(self._duration)}")


class _QueueDelegate(QStyledItemDelegate):
    """Marks the playing entry with a play icon and radio picks with a small tag and, on a
    second line, why radio chose them; a long title is elided before the tag (never under it),
    and rows never ask for more width than the view."""

    TAG = "radio"

    def sizeHint(self, option, index):
        size = super().sizeHint(option, index)
        height = option.fontMetrics.height() + 10
        if index.data(NoteRole):
            height += option.fontMetrics.height()
        size.setHeight(max(size.height(), height))
        size.setWidth(0)  # the row is as wide as the view: no horizontal scroll bar
        return size

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        if style is None:
            return
        if index.data(IsCurrentRole):
            option.icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
            option.features |= option.ViewItemFeature.HasDecoration
        room = option.rect.width() - 12
        if option.features & option.ViewItemFeature.HasDecoration:
            room -= option.decorationSize.width() + 6
        if index.data(OriginRole) == "radio":
            room -= self._tag_font(option).horizontalAdvance(self.TAG) + 12
        option.text = option.fontMetrics.elidedText(
            option.text, Qt.TextElideMode.ElideRight, max(room, 0)
        )

    @staticmethod
    def _tag_font(option) -> QFontMetrics:
        return QFontMetrics(_tag_font(option.font))

    def paint(self, painter: QPainter, option, index) -> None:
        why = index.data(NoteRole)
        line = option.fontMetrics.height()
        if why:  # the entry on the first line, the reason under it, smaller and muted
            below = QStyleOptionViewItem(option)
            self.initStyleOption(below, index)
            below.rect = option.rect.adjusted(0, option.rect.height() - line, 0, 0)
            style = option.widget.style() if option.widget else None
            if style is not None:  # the second line's background (selection, radio tint)
                style.drawPrimitive(
                    QStyle.PrimitiveElement.PE_PanelItemViewItem, below, painter, option.widget
                )
            top = QStyleOptionViewItem(option)
            top.rect = option.rect.adjusted(0, 0, 0, -line)
            super().paint(painter, top, index)
            self._paint_why(painter, option, why, line)
        else:
            super().paint(painter, option, index)
        if index.data(OriginRole) != "radio":
            return
        painter.save()
        rect = option.rect.adjusted(0, 3, -6, -3 - (line if why else 0))
        painter.setFont(_tag_font(option.font))
        painter.setPen(option.palette.color(option.palette.ColorRole.Link))
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.TAG
        )
        painter.restore()

    @staticmethod
    def _paint_why(painter: QPainter, option, why: str, line: int) -> None:
        painter.save()
        font = QFont(option.font)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        rect = option.rect.adjusted(14, option.rect.height() - line - 4, -6, -2)
        text = QFontMetrics(font).elidedText(why, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()


def _tag_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
    return font


class QueuePanel(QWidget):
    """The queue: follows the playing entry, says how many are up next, edits by drag and drop,
    Delete, its own menu (Play, Play Next, Remove, Clear Upcoming), and shows brief notes.

    Signals:
        row_activated(int): the user double-clicked (or pressed Enter on) a queue row.
    """

    row_activated = Signal(int)

    #: Played entries shown above the playing one while the history is collapsed.
    HISTORY_SHOWN = 1
    NOTE_MS = 8000

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QListView()
        self.view.setModel(model)
        self.view.setItemDelegate(_QueueDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setUniformItemSizes(False)  # radio picks have a second line (why)
        self.view.setSpacing(1)
        self.view.setAlternatingRowColors(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.activated.connect(lambda i: self.row_activated.emit(i.row()))
        header = QLabel("Queue")
        self.count = QLabel("")
        self.count.setStyleSheet("color: palette(mid);")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(link); font-style: italic;")
        self.note.hide()
        self._note_timer = QTimer(self, singleShot=True, interval=self.NOTE_MS)
        self._note_timer.timeout.connect(self.note.hide)
        # Follow the playing entry once the view has laid out the change (coalesced).
        self._follow_timer = QTimer(self, singleShot=True, interval=0)
        self._follow_timer.timeout.connect(lambda: self.follow_current(self._scroll_pending))
        for signal in (model.queue_changed, model.current_changed, model.modelReset):
            signal.connect(self._update_count)
        # A new playing entry scrolls the list to it; other edits (radio appending a pick) only
        # fold the history again, leaving where the user scrolled to.
        self._scroll_pending = False
        self._hidden_upto = 0
        model.current_changed.connect(lambda _row: self._follow(scroll=True))
        model.modelReset.connect(lambda: self._follow(scroll=True))
        model.queue_changed.connect(lambda: self._follow(scroll=False))
        self.history_button = QToolButton()
        self.history_button.setCheckable(True)
        self.history_button.setAutoRaise(True)
        self.history_button.setToolTip("Show or fold the tracks played before the current one")
        self.history_button.toggled.connect(lambda _on: self.follow_current(scroll=False))
        self.history_button.hide()
        bold = QFont(header.font())
        bold.setBold(True)
        header.setFont(bold)
        style = self.style()
        self.remove_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton),
            "Remove selected from the queue (Del)",
            self.remove_selected,
        )
        self.clear_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_LineEditClearButton),
            "Clear upcoming (keeps the playing track)",
            self.model.clear_upcoming,
        )
        self.menu_actions = self._build_menu()
        top = QHBoxLayout()
        top.addWidget(header)
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.history_button)
        top.addWidget(self.remove_button)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)

    def _build_menu(self) -> dict[str, QAction]:
        """The queue's own context menu (Delete works while the list has focus)."""
        actions = {
            "play": QAction("Play", self.view),
            "play_next": QAction("Play Next", self.view),
            "remove": QAction("Remove from Queue", self.view),
            "clear_upcoming": QAction("Clear Upcoming", self.view),
        }
        actions["remove"].setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        actions["remove"].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        actions["play"].triggered.connect(self._play_selected)
        actions["play_next"].triggered.connect(lambda: self.model.move_next(self._selected_rows()))
        actions["remove"].triggered.connect(self.remove_selected)
        actions["clear_upcoming"].triggered.connect(self.model.clear_upcoming)
        self.view.addActions(list(actions.values()))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        return actions

    def _button(self, icon, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def _update_count(self) -> None:
        n = self.model.upcoming_count()
        self.count.setText(f"{n} up next" if n > 0 else "")

    def _follow(self, *, scroll: bool) -> None:
        self._scroll_pending = self._scroll_pending or scroll
        self._follow_timer.start()

    def follow_current(self, scroll: bool = True) -> None:
        """Keep the playing entry and what comes next in view: the history above it collapses
        (but for the last played entry) unless the user shows it, and the list scrolls to the
        playing entry."""
        row = self.model.current_row
        hidden_before = max(0, row - self.HISTORY_SHOWN) if row > 0 else 0
        show_all = self.history_button.isChecked()
        # Only played rows are ever hidden: the rows up to the old and new bounds (the queue
        # keeps at most ``keep_played`` of them), not the whole queue, are touched.
        for r in range(min(self.model.rowCount(), max(self._hidden_upto, hidden_before))):
            self.view.setRowHidden(r, not show_all and r < hidden_before)
        self._hidden_upto = hidden_before
        self.history_button.setVisible(hidden_before > 0)
        self.history_button.setText("Hide played" if show_all else f"{hidden_before} played…")
        self._scroll_pending = False
        if not scroll or row < 0 or self.view.state() == QAbstractItemView.State.DraggingState:
            return
        top = self.model.index(max(0, row - self.HISTORY_SHOWN))
        self.view.scrollTo(top, QAbstractItemView.ScrollHint.PositionAtTop)

    def show_note(self, text: str, ms: int = NOTE_MS) -> None:
        """Show ``text`` above the list for ``ms`` milliseconds (e.g. radio re-planned)."""
        self.note.setText(text)
        self.note.show()
        self._note_timer.start(ms)

    def _selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.view.selectionModel().selectedRows())

    def _play_selected(self) -> None:
        rows = self._selected_rows()
        if rows:
            self.row_activated.emit(rows[0])

    def remove_selected(self) -> None:
        """Remove the selected entries."""
        self.model.remove_rows(self._selected_rows())
