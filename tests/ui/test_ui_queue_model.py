"""The queue model: add, play next, remove, reorder (also by drop), clear, walk, origins."""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt

from player.plugin_api import Origin
from player.queue import (
    ROWS_MIME,
    TRACKS_MIME,
    IsCurrentRole,
    IsPlayedRole,
    OriginRole,
    QueueModel,
)


@dataclass(frozen=True)
class Track:
    id: int
    path: str = ""
    title: str = ""
    artist: str = "Artist"
    album: str = "Album"
    duration_ms: int | None = 1000
    available: bool = True


def tracks(*ids: int) -> list[Track]:
    return [Track(i, f"/m/{i}.mp3", f"T{i}") for i in ids]


def ids(model: QueueModel) -> list[int]:
    return [e.track_id for e in model.entries()]


def test_add_play_next_and_walk(qapp) -> None:
    q = QueueModel()
    q.add(tracks(1, 2, 3))
    assert q.rowCount() == 3 and q.current_row == -1
    assert q.advance().track_id == 1
    q.insert_next(tracks(9))
    assert ids(q) == [1, 9, 2, 3]
    assert [e.track_id for e in q.upcoming()] == [9, 2, 3]
    assert q.advance().track_id == 9
    assert q.index(1).data(IsCurrentRole) is True
    assert q.index(0).data(IsPlayedRole) is True
    assert q.back().track_id == 1
    assert q.back() is None  # at the start: stays
    q.set_current(3)
    assert q.advance() is None  # end of queue: current row unchanged
    assert q.current_entry().track_id == 3


def test_remove_and_move_keep_the_current_entry(qapp) -> None:
    q = QueueModel()
    q.add(tracks(1, 2, 3, 4, 5))
    q.set_current(2)  # track 3
    q.remove_rows([0, 4])
    assert ids(q) == [2, 3, 4] and q.current_entry().track_id == 3
    q.move_rows([2], 0)  # track 4 to the top
    assert ids(q) == [4, 2, 3] and q.current_entry().track_id == 3
    q.move_rows([0, 1], 3)  # to the end, order kept
    assert ids(q) == [3, 4, 2] and q.current_row == 0
    q.remove_rows([0])
    assert q.current_entry() is None


def test_clear_keeps_the_playing_entry(qapp) -> None:
    q = QueueModel()
    q.add(tracks(1, 2, 3))
    q.set_current(1)
    q.clear()
    assert ids(q) == [2] and q.current_row == 0
    q.clear(keep_current=False)
    assert q.rowCount() == 0 and q.current_row == -1


def test_origins_and_radio_marking(qapp) -> None:
    q = QueueModel()
    q.add(tracks(1), Origin.USER)
    q.add(tracks(2), Origin.RADIO)
    assert q.index(1).data(OriginRole) == "radio"
    assert q.index(1).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "radio" in q.index(1).data(Qt.ItemDataRole.ToolTipRole)
    assert q.entry(1).playable().origin == Origin.RADIO
    assert q.entry(1).playable(Origin.USER).origin == Origin.USER
    assert q.queued_track_ids() == frozenset({1, 2})


def test_drop_reorders_rows_and_accepts_library_tracks(qapp) -> None:
    q = QueueModel(lambda wanted: tracks(*wanted))
    q.add(tracks(1, 2, 3))
    mime = q.mimeData([q.index(0)])
    assert json.loads(bytes(mime.data(ROWS_MIME).data())) == [0]
    q.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert ids(q) == [2, 3, 1]
    library = QMimeData()
    library.setData(TRACKS_MIME, QByteArray(b"[7, 8]"))
    assert q.dropMimeData(library, Qt.DropAction.CopyAction, 1, 0, QModelIndex())
    assert ids(q) == [2, 7, 8, 3, 1]
    assert q.entry(1).origin == Origin.QUEUE


def test_missing_entries_greyed_and_played_history_trimmed(qapp) -> None:
    q = QueueModel(keep_played=2)
    q.add(tracks(1, 2, 3, 4, 5))
    q.mark_unavailable(2)
    assert not q.entry(1).available
    assert q.index(1).data(Qt.ItemDataRole.ForegroundRole) is not None
    q.set_current(4)
    assert ids(q) == [3, 4, 5] and q.current_entry().track_id == 5


def test_signals_and_restore(qtbot) -> None:
    q = QueueModel()
    with qtbot.waitSignal(q.queue_changed):
        q.add(tracks(1, 2))
    with qtbot.waitSignal(q.current_changed) as blocker:
        q.advance()
    assert blocker.args == [0]
    q.restore([(t, Origin.RADIO) for t in tracks(5, 6)], 1)
    assert ids(q) == [5, 6] and q.current_row == 1 and q.entry(0).origin == Origin.RADIO
