"""The play queue: a list model of entries, each remembering who queued it (user, queue, radio).

Entries before ``current_row`` were played (kept a while so *previous* works), the entry at
``current_row`` is playing, the ones after it are upcoming. The radio keeps ``upcoming()`` long
enough by calling :meth:`QueueModel.add` with ``Origin.RADIO``; views mark those rows.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPalette

from player.playback import Playable
from player.plugin_api import Origin

log = logging.getLogger(__name__)

ROWS_MIME = "application/x-segue-queue-rows"
TRACKS_MIME = "application/x-segue-track-ids"

EntryRole = Qt.ItemDataRole.UserRole + 1
OriginRole = Qt.ItemDataRole.UserRole + 2
IsCurrentRole = Qt.ItemDataRole.UserRole + 3
IsPlayedRole = Qt.ItemDataRole.UserRole + 4
NoteRole = Qt.ItemDataRole.UserRole + 5  # the entry's note (why radio picked it), for the view

_Index = QModelIndex | QPersistentModelIndex


class TrackLike(Protocol):
    """What the queue needs of a library row (``player.library.TrackRow`` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def artist(self) -> str: ...
    @property
    def album(self) -> str: ...
    @property
    def duration_ms(self) -> int | None: ...
    @property
    def available(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One queued track; ``entry_id`` tells two entries of the same track apart."""

    entry_id: int
    track_id: int
    path: str
    title: str
    artist: str
    album: str
    duration_ms: int | None
    origin: Origin
    available: bool = True
    #: A line saying why this entry is here (e.g. why radio picked it), shown in its tooltip.
    note: str = ""

    def playable(self, origin: Origin | None = None) -> Playable:
        """The entry as playback takes it, optionally with another origin."""
        return Playable(
            self.track_id,
            self.path,
            self.duration_ms,
            origin or self.origin,
            self.title,
            self.artist,
            self.album,
            self.note,
        )

    @property
    def label(self) -> str:
        """Title, or the file name when the tags have none."""
        return self.title or self.path.rsplit("/", 1)[-1]


def entry_tooltip(entry: QueueEntry) -> str:
    """Title, artist and album, who queued the entry, and its note if it has one."""
    who = {Origin.RADIO: "picked by radio", Origin.USER: "chosen", Origin.QUEUE: "queued"}
    lines = [entry.label, f"{entry.artist} — {entry.album}", who[entry.origin]]
    if entry.note:
        lines.append(entry.note)
    return "\n".join(lines)


TrackResolver = Callable[[Sequence[int]], Sequence[TrackLike]]


class QueueModel(QAbstractListModel):
    """Ordered entries with a current row; drag and drop reorders and accepts library tracks.

    Signals:
        current_changed(int): the current row changed (-1 for none).
        queue_changed(): entries were added, removed, moved or cleared.
    """

    current_changed = Signal(int)
    queue_changed = Signal()

    def __init__(
        self,
        resolve_tracks: TrackResolver | None = None,
        *,
        keep_played: int = 50,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._entries: list[QueueEntry] = []
        self._current = -1
        self._next_id = 1
        self._keep_played = keep_played
        self._resolve = resolve_tracks
        self._unshuffled: list[int] | None = None  # entry ids in their order before a shuffle

    def set_resolver(self, resolve_tracks: TrackResolver) -> None:
        """Set how dropped library track ids become tracks."""
        self._resolve = resolve_tracks

    # -- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{entry.label} — {entry.artist}" if entry.artist else entry.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry_tooltip(entry)
        if role == Qt.ItemDataRole.FontRole and row == self._current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and (not entry.available or row < self._current):
            return QBrush(QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        if role == Qt.ItemDataRole.BackgroundRole and entry.origin == Origin.RADIO:
            return QBrush(QColor(80, 140, 220, 28))
        if role == EntryRole:
            return entry
        if role == OriginRole:
            return str(entry.origin)
        if role == IsCurrentRole:
            return row == self._current
        if role == IsPlayedRole:
            return row < self._current
        if role == NoteRole:
            return entry.note
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if index.isValid():
            base |= Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            base |= Qt.ItemFlag.ItemIsDragEnabled
        return base

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [ROWS_MIME, TRACKS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime.setData(ROWS_MIME, QByteArray(json.dumps(rows).encode()))
        return mime

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        dest = row if row >= 0 else (parent.row() if parent.isValid() else len(self._entries))
        if data.hasFormat(ROWS_MIME):
            rows = json.loads(bytes(data.data(ROWS_MIME).data()).decode())
            self.move_rows(rows, dest)
            # We moved the rows ourselves: returning False stops the view removing the sources.
            return False
        if data.hasFormat(TRACKS_MIME) and self._resolve is not None:
            ids = json.loads(bytes(data.data(TRACKS_MIME).data()).decode())
            self.insert(dest, self._resolve(ids), Origin.QUEUE)
            return True
        return False

    # -- queries ---------------------------------------------------------------------------
    @property
    def current_row(self) -> int:
        """Row of the playing entry, -1 for none."""
        return self._current

    def current_entry(self) -> QueueEntry | None:
        """The playing entry."""
        return self._entries[self._current] if 0 <= self._current < len(self._entries) else None

    def entry(self, row: int) -> QueueEntry:
        """The entry at ``row``."""
        return self._entries[row]

    def entries(self) -> list[QueueEntry]:
        """All entries, played ones first."""
        return list(self._entries)

    def upcoming(self) -> list[QueueEntry]:
        """Entries after the current one (what the radio keeps filled)."""
        return self._entries[self._current + 1 :]

    def upcoming_count(self) -> int:
        """How many entries follow the current one."""
        return len(self._entries) - (self._current + 1)

    def queued_track_ids(self) -> frozenset[int]:
        """Track ids of the current and upcoming entries (the radio excludes them)."""
        return frozenset(e.track_id for e in self._entries[max(self._current, 0) :])

    # -- edits -----------------------------------------------------------------------------
    def add(self, tracks: Iterable[TrackLike], origin: Origin = Origin.QUEUE) -> list[QueueEntry]:
        """Append tracks at the end; returns the new entries."""
        return self.insert(len(self._entries), tracks, origin)

    def insert_next(
        self, tracks: Iterable[TrackLike], origin: Origin = Origin.QUEUE
    ) -> list[QueueEntry]:
        """Insert tracks right after the current entry ("play next")."""
        return self.insert(self._current + 1, tracks, origin)

    def insert(
        self, row: int, tracks: Iterable[TrackLike], origin: Origin = Origin.QUEUE
    ) -> list[QueueEntry]:
        """Insert tracks before ``row``."""
        new = [self._make_entry(t, origin) for t in tracks]
        if not new:
            return []
        row = max(0, min(row, len(self._entries)))
        self.beginInsertRows(QModelIndex(), row, row + len(new) - 1)
        self._entries[row:row] = new
        if row <= self._current:
            self._current += len(new)
        self.endInsertRows()
        self.queue_changed.emit()
        return new

    def remove_rows(self, rows: Iterable[int]) -> None:
        """Remove entries; removing the current one leaves no current entry."""
        for row in sorted(set(rows), reverse=True):
            if not 0 <= row < len(self._entries):
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._entries[row]
            self.endRemoveRows()
            if row < self._current:
                self._current -= 1
            elif row == self._current:
                self._set_current(-1, notify_rows=False)
        self.queue_changed.emit()

    def move_rows(self, rows: Sequence[int], dest: int) -> None:
        """Move the entries at ``rows`` (kept in order) to before ``dest``."""
        rows = sorted({r for r in rows if 0 <= r < len(self._entries)})
        if not rows:
            return
        current = self.current_entry()
        moving = [self._entries[r] for r in rows]
        dest -= sum(1 for r in rows if r < dest)
        self.layoutAboutToBeChanged.emit()
        old_ids = [e.entry_id for e in self._entries]
        kept = [e for i, e in enumerate(self._entries) if i not in set(rows)]
        dest = max(0, min(dest, len(kept)))
        self._entries = kept[:dest] + moving + kept[dest:]
        new_pos = {e.entry_id: i for i, e in enumerate(self._entries)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [self.index(new_pos[old_ids[p.row()]], 0) for p in persistent],
        )
        if current is not None:
            self._current = new_pos[current.entry_id]
        self.layoutChanged.emit()
        self.current_changed.emit(self._current)
        self.queue_changed.emit()

    def clear(self, *, keep_current: bool = True) -> None:
        """Remove every entry except, by default, the playing one."""
        current = self.current_entry() if keep_current else None
        self.beginResetModel()
        self._entries = [current] if current else []
        self._current = 0 if current else -1
        self.endResetModel()
        self.current_changed.emit(self._current)
        self.queue_changed.emit()

    def clear_upcoming(self) -> None:
        """Remove every entry after the current one (history and the playing entry stay)."""
        start = self._current + 1
        if start >= len(self._entries):
            return
        self.beginRemoveRows(QModelIndex(), start, len(self._entries) - 1)
        del self._entries[start:]
        self.endRemoveRows()
        self.queue_changed.emit()

    def replace_upcoming(
        self, tracks: Iterable[TrackLike], origin: Origin = Origin.QUEUE
    ) -> list[QueueEntry]:
        """Put ``tracks`` after the current entry in place of what was upcoming."""
        self.clear_upcoming()
        return self.add(tracks, origin)

    def move_next(self, rows: Sequence[int]) -> None:
        """Move the entries at ``rows`` right after the current one ("play next")."""
        self.move_rows([r for r in rows if r != self._current], self._current + 1)

    def set_note(self, entry_id: int, note: str) -> None:
        """Attach a line to an entry, shown in its tooltip (e.g. why radio picked it)."""
        for row, entry in enumerate(self._entries):
            if entry.entry_id == entry_id:
                self._entries[row] = replace(entry, note=note)
                self.dataChanged.emit(self.index(row), self.index(row))
                return

    def shuffle_upcoming(self, rng: random.Random) -> None:
        """Put the upcoming entries in a random order; radio's picks keep their places (they
        follow what was queued). The queue shows the order they will play in."""
        start = self._current + 1
        slots = [
            i for i in range(start, len(self._entries)) if self._entries[i].origin != Origin.RADIO
        ]
        if len(slots) < 2:
            return
        if self._unshuffled is None:
            self._unshuffled = [e.entry_id for e in self._entries]
        picked = [self._entries[i] for i in slots]
        rng.shuffle(picked)
        new = list(self._entries)
        for i, entry in zip(slots, picked, strict=True):
            new[i] = entry
        self._reorder(new)

    def unshuffle_upcoming(self) -> None:
        """Put the upcoming entries back in the order they had before :meth:`shuffle_upcoming`
        (entries queued since keep their places after them)."""
        order, self._unshuffled = self._unshuffled, None
        if order is None:
            return
        rank = {entry_id: i for i, entry_id in enumerate(order)}
        start = self._current + 1
        upcoming = self._entries[start:]
        known = sorted((e for e in upcoming if e.entry_id in rank), key=lambda e: rank[e.entry_id])
        fresh = [e for e in upcoming if e.entry_id not in rank]
        self._reorder(self._entries[:start] + known + fresh)

    def _reorder(self, new: list[QueueEntry]) -> None:
        """Replace the entries by a permutation of them, keeping persistent indexes on them."""
        if [e.entry_id for e in new] == [e.entry_id for e in self._entries]:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_ids = [self._entries[p.row()].entry_id for p in persistent]
        current = self.current_entry()
        self._entries = new
        rows = {e.entry_id: i for i, e in enumerate(new)}
        self.changePersistentIndexList(persistent, [self.index(rows[i], 0) for i in old_ids])
        if current is not None:
            self._current = rows[current.entry_id]
        self.layoutChanged.emit()
        self.queue_changed.emit()

    def mark_unavailable(self, track_id: int) -> None:
        """Grey every entry of a track whose file is gone."""
        for row, entry in enumerate(self._entries):
            if entry.track_id == track_id and entry.available:
                self._entries[row] = replace(entry, available=False)
                self.dataChanged.emit(self.index(row), self.index(row))

    # -- moving the current row ------------------------------------------------------------
    def set_current(self, row: int) -> QueueEntry | None:
        """Make ``row`` current (e.g. double-clicked) and return its entry."""
        if not 0 <= row < len(self._entries):
            return None
        self._set_current(row)
        self._trim_played()
        return self.current_entry()

    def advance(self) -> QueueEntry | None:
        """Move to the next entry; returns it, or None at the end (current row unchanged)."""
        if self._current + 1 >= len(self._entries):
            return None
        return self.set_current(self._current + 1)

    def back(self) -> QueueEntry | None:
        """Move to the previous entry; returns it, or None at the start (current unchanged)."""
        if self._current <= 0:
            return None
        return self.set_current(self._current - 1)

    def restore(self, tracks: Sequence[tuple[TrackLike, Origin]], current_row: int) -> None:
        """Replace the queue (used when restoring the last session)."""
        self.beginResetModel()
        self._entries = [self._make_entry(t, o) for t, o in tracks]
        self._current = current_row if 0 <= current_row < len(self._entries) else -1
        self.endResetModel()
        self.current_changed.emit(self._current)
        self.queue_changed.emit()

    def _make_entry(self, track: TrackLike, origin: Origin) -> QueueEntry:
        entry = QueueEntry(
            self._next_id,
            track.id,
            track.path,
            track.title,
            track.artist,
            track.album,
            track.duration_ms,
            origin,
            track.available,
        )
        self._next_id += 1
        return entry

    def _set_current(self, row: int, *, notify_rows: bool = True) -> None:
        old = self._current
        self._current = row
        if notify_rows and self._entries:
            lo, hi = min(old, row), max(old, row)
            lo = max(lo, 0)
            self.dataChanged.emit(self.index(lo), self.index(max(hi, lo)))
        if old != row:
            self.current_changed.emit(row)

    def _trim_played(self) -> None:
        extra = self._current - self._keep_played
        if extra > 0:
            self.beginRemoveRows(QModelIndex(), 0, extra - 1)
            del self._entries[:extra]
            self._current -= extra
            self.endRemoveRows()
            self.current_changed.emit(self._current)
