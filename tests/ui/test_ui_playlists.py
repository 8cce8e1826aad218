"""The playlist pane (issue #27): its models without a view, then the pane in a wired window on a
real library: save the queue, rename, reorder by drop, play from here, delete, import."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import event

from player.app import PlayerParts
from player.library import load_track_rows
from player.playlists.store import PlaylistInfo, PlaylistItem, playlist_items
from player.queue import TRACKS_MIME
from player.ui.playlist_models import (
    ENTRIES_MIME,
    ItemRole,
    PlaylistEntriesModel,
    PlaylistListModel,
)
from tests.audio import make_audio

SCAN_TIMEOUT_MS = 30_000


def item(entry_id: int, *, available: bool = True, track_id: int | None = 1) -> PlaylistItem:
    return PlaylistItem(entry_id, entry_id, track_id, f"/m/{entry_id}.mp3", f"T{entry_id}",
                        "A", "B", 61_000, available)  # fmt: skip


def test_list_model_shows_counts_and_asks_to_rename(qtbot) -> None:
    model = PlaylistListModel()
    model.set_playlists(
        [PlaylistInfo(3, "Road", 0.0, 0.0, 12, 2), PlaylistInfo(5, "Zen", 0, 0, 0, 0)]
    )
    first = model.index(0)
    assert (
        model.data(first) == "Road  (12)" and model.data(first, Qt.ItemDataRole.EditRole) == "Road"
    )
    assert "2 missing" in model.data(first, Qt.ItemDataRole.ToolTipRole)
    assert model.flags(first) & Qt.ItemFlag.ItemIsEditable
    with qtbot.waitSignal(model.rename_requested) as asked:
        assert model.setData(first, "  Road   trip ") is False  # changes once the db has it
    assert asked.args == [3, "Road trip"]
    with qtbot.assertNotEmitted(model.rename_requested):
        model.setData(model.index(1), "Zen")  # unchanged
        model.setData(model.index(1), "   ")  # empty
    assert model.row_of(5) == 1 and model.row_of(9) == -1


def test_entries_model_greys_and_marks_missing_entries(qtbot) -> None:
    model = PlaylistEntriesModel()
    url = PlaylistItem(4, 3, None, "http://radio.example/live", "", "", "", None, False)
    model.set_items(
        7, [item(1), item(2, available=False), item(3, available=False, track_id=None), url]
    )
    assert [model.data(model.index(r, 1)) for r in range(4)] == ["T1", "T2", "T3", "live"]
    assert [model.data(model.index(r, 3)) for r in range(4)] == [
        "1:01",
        "missing",
        "missing",
        "URL",
    ]
    assert model.data(model.index(2, 0)) == "3"
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(1, 1), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(1, 1), Qt.ItemDataRole.DecorationRole) is not None
    assert "comes back when a scan finds it" in model.data(
        model.index(1, 2), Qt.ItemDataRole.ToolTipRole
    )
    assert "Not in the library" in model.data(model.index(2, 2), Qt.ItemDataRole.ToolTipRole)
    assert "plays files" in model.data(model.index(3, 2), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(3, 0), ItemRole) is url


def test_entries_model_moves_dropped_rows_at_once(qtbot) -> None:
    model = PlaylistEntriesModel()
    model.set_items(7, [item(i) for i in range(1, 6)])
    mime = model.mimeData([model.index(0, 0), model.index(0, 2), model.index(2, 1)])
    assert mime.hasFormat(ENTRIES_MIME)
    with qtbot.waitSignal(model.moved) as moved:
        dropped = model.dropMimeData(mime, Qt.DropAction.MoveAction, 5, 0, QModelIndex())
    assert dropped is False  # the view must not delete the source rows
    assert [i.entry_id for i in model.items()] == [2, 4, 5, 1, 3]
    assert moved.args == [[1, 3], 5]


def test_entries_model_asks_to_add_dropped_library_tracks(qtbot) -> None:
    model = PlaylistEntriesModel()
    mime = QMimeData()
    mime.setData(TRACKS_MIME, QByteArray(b"[7, 3]"))
    assert model.dropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex()) is False
    model.set_items(2, [item(1)])  # only a shown playlist takes tracks
    with qtbot.waitSignal(model.tracks_dropped) as dropped:
        assert model.dropMimeData(mime, Qt.DropAction.CopyAction, -1, 0, QModelIndex())
    assert dropped.args == [[7, 3], 1]


def wired(qtbot, parts: PlayerParts, music_dir: Path) -> None:
    pane = parts.playlists
    with qtbot.waitSignals([parts.window.library_scanned, pane.playlists_loaded],
                           timeout=SCAN_TIMEOUT_MS):  # fmt: skip
        parts.window.start([music_dir])


def test_pane_saves_renames_reorders_plays_and_deletes(qtbot, player_parts, music_dir) -> None:
    parts: PlayerParts = player_parts
    pane = parts.playlists
    on_gui_thread: list[str] = []
    test_reads = threading.Event()  # the test's own reads below run on the main thread

    def watch(_conn, _cursor, statement: str, *_rest) -> None:
        main = threading.current_thread() is threading.main_thread()
        if "playlist" in statement and main and not test_reads.is_set():
            on_gui_thread.append(statement)

    def saved_order(playlist_id: int) -> list[int | None]:
        test_reads.set()
        try:
            return [i.track_id for i in playlist_items(parts.db, playlist_id)]
        finally:
            test_reads.clear()

    event.listen(parts.db.engine, "before_cursor_execute", watch)
    wired(qtbot, parts, music_dir)
    rows = sorted(parts.window.model.rows(), key=lambda r: r.path)
    parts.queue.add(rows[:4])
    assert parts.window.menus["file"].actions()[0].shortcut().toString() == "Ctrl+S"
    with qtbot.waitSignal(pane.entries_loaded):
        pane.save_queue("Four")
    assert pane.playlists.rowCount() == 1 and pane.playlists.playlist(0).name == "Four"
    assert [i.track_id for i in pane.entries.items()] == [r.id for r in rows[:4]]
    assert pane.name_label.text() == "4 entries"
    # Rename in place, through the model as the editor does.
    with qtbot.waitSignal(pane.entries_loaded):
        pane.playlists.setData(pane.playlists.index(0), "Four songs")
    assert pane.playlists.playlist(0).name == "Four songs"
    # A name that is taken is refused with a message, nothing changes.
    with qtbot.waitSignal(pane.message) as said:
        pane.save_queue("Four songs")
    assert "already exists" in said.args[0]
    # Drag the last entry to the top: shown at once, kept in the database.
    playlist_id = pane.entries.playlist_id
    last = pane.entries.items()[-1].entry_id
    pane.entries.move([last], 0)
    expected = [rows[3].id, rows[0].id, rows[1].id, rows[2].id]
    assert [i.track_id for i in pane.entries.items()] == expected
    qtbot.waitUntil(lambda: saved_order(playlist_id) == expected)
    # Play from the third entry: it plays now, the fourth follows in the queue.
    pane.table.selectRow(2)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=15_000) as started:
        pane.actions_by_name["play_here"].trigger()
    assert started.args[0].track_id == rows[1].id
    assert [e.track_id for e in parts.queue.upcoming()][:1] == [rows[2].id]
    parts.controller.stop()
    # Library tracks: dropped on the entries, or added to a playlist by name (made if new).
    with qtbot.waitSignal(pane.entries_loaded):
        pane.add_tracks([rows[5].id], 1)
    assert [i.track_id for i in pane.entries.items()][:2] == [rows[3].id, rows[5].id]
    with qtbot.waitSignal(pane.entries_loaded):
        pane.add_to("Fresh", [rows[4].id, rows[0].id])
    assert pane.current_playlist().name == "Fresh"
    assert [i.track_id for i in pane.entries.items()] == [rows[4].id, rows[0].id]
    with qtbot.waitSignal(pane.entries_loaded):
        pane.add_to("Four songs", [rows[4].id])
    assert pane.current_playlist().name == "Four songs" and pane.entries.rowCount() == 6
    # Delete (the confirmation box is the user's; here it is skipped).
    with qtbot.waitSignal(pane.playlists_loaded):
        pane.delete_current(confirm=False)
    assert [p.name for p in pane.playlists.infos()] == ["Fresh"]
    event.remove(parts.db.engine, "before_cursor_execute", watch)
    assert on_gui_thread == []  # every playlist statement ran on the task pool
    assert len(load_track_rows(parts.db)) == 6  # the tracks stay


def test_pane_imports_marks_missing_and_reattaches_after_a_scan(
    qtbot, player_parts, music_dir: Path, tmp_path: Path
) -> None:
    parts: PlayerParts = player_parts
    pane = parts.playlists
    wired(qtbot, parts, music_dir)
    listing = music_dir / "mixed.m3u"
    listing.write_bytes(
        b"#EXTM3U\n"
        b"Artist 1/Album 1/01 Song 1.1.mp3\n"
        b"\x01\x02junk\n"
        b"#EXTINF:1,Late - Arrival\n"
        b"later/arrival.flac\n"
    )
    binary = music_dir / "not a list.m3u"
    binary.write_bytes(b"\x00" * 64)
    with qtbot.waitSignal(pane.message) as said:
        pane.import_file(binary)
    assert said.args[0].startswith("Could not import not a list.m3u: ")
    assert said.args[0].endswith("binary data, not a playlist: nothing was read")
    assert pane.playlists.rowCount() == 0
    with qtbot.waitSignal(pane.entries_loaded):
        pane.import_file(listing)
    box = pane.findChild(QMessageBox, "playlist-import-problems")
    assert box is not None and "line 3: not a path or URL" in box.detailedText()
    box.close()
    assert [(i.title, i.available) for i in pane.entries.items()] == [
        ("Song 1.1", True), ("Arrival", False),
    ]  # fmt: skip
    assert pane.entries.data(pane.entries.index(1, 3)) == "missing"
    with qtbot.waitSignal(pane.play_requested) as asked, qtbot.waitSignal(pane.message) as said:
        pane.play()
    assert asked.args[0] == [pane.entries.item(0).track_id]  # the missing one is passed over
    assert said.args[0] == "1 missing entries passed over."
    parts.controller.stop()
    make_audio(
        music_dir / "elsewhere" / "arrival.flac", tags={"title": "Arrival", "artist": "Late"}
    )
    with qtbot.waitSignal(parts.window.library_scanned, timeout=SCAN_TIMEOUT_MS):
        parts.window.rescan()
    qtbot.waitUntil(lambda: [i.available for i in pane.entries.items()] == [True, True])
    with qtbot.waitSignal(parts.tracker.track_started, timeout=15_000) as started:
        pane.list_view.activated.emit(pane.playlists.index(0))  # Enter / double-click: play all
    assert started.args[0].track_id == pane.entries.item(0).track_id
    parts.controller.stop()
