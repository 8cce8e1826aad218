"""The queue panel: follows the playing entry, counts what is next, edits, notes (issue #26)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from player.plugin_api import Origin
from player.queue import QueueModel
from player.ui.panels import QueuePanel


@dataclass(frozen=True)
class Track:
    id: int
    path: str = ""
    title: str = ""
    artist: str = "Artist"
    album: str = "Album"
    duration_ms: int | None = 1000
    available: bool = True


def tracks(*ids: int, title: str = "T") -> list[Track]:
    return [Track(i, f"/m/{i}.ogg", f"{title}{i}") for i in ids]


def panel(qtbot, model: QueueModel, height: int = 240) -> QueuePanel:
    widget = QueuePanel(model)
    qtbot.addWidget(widget)
    widget.resize(300, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def visible(widget: QueuePanel, row: int) -> bool:
    rect = widget.view.visualRect(widget.model.index(row))
    return widget.view.viewport().rect().contains(rect)


def test_the_queue_follows_the_playing_entry_after_ten_plays(qtbot) -> None:  # item 2
    model = QueueModel()
    model.add(tracks(*range(1, 16)), Origin.RADIO)
    widget = panel(qtbot, model)
    for _ in range(11):
        model.advance()
    assert model.current_row == 10
    qtbot.waitUntil(lambda: visible(widget, 10) and visible(widget, 11))
    assert not visible(widget, 5)  # the history folded away
    assert widget.history_button.text() == "9 played…"
    model.back()  # "previous": the entry before comes back into view
    qtbot.waitUntil(lambda: visible(widget, 8) and visible(widget, 9))
    widget.history_button.click()  # the user asks for the history
    widget.view.scrollToTop()
    qtbot.waitUntil(lambda: visible(widget, 0))


def test_up_next_counts_what_follows_the_playing_entry(qtbot) -> None:  # item 3
    model = QueueModel()
    widget = panel(qtbot, model)
    model.add(tracks(1, 2, 3))
    assert widget.count.text() == "3 up next"
    model.advance()
    assert widget.count.text() == "2 up next"
    model.advance()
    model.advance()
    assert widget.count.text() == ""  # nothing queued: no "1 up next"
    model.add(tracks(4))
    assert widget.count.text() == "1 up next"
    model.set_current(0)  # playing from the queue's history
    assert widget.count.text() == "3 up next"


def test_a_long_radio_title_is_elided_before_its_tag_and_no_row_scrolls_sideways(qtbot) -> None:
    model = QueueModel()  # item 10
    model.add(tracks(1, title="An extremely long title " * 8), Origin.RADIO)
    widget = panel(qtbot, model)
    index = model.index(0)
    option = QStyleOptionViewItem()
    option.initFrom(widget.view)
    option.rect = widget.view.visualRect(index)
    option.widget = widget.view
    delegate = widget.view.itemDelegate()
    delegate.initStyleOption(option, index)
    assert option.text.endswith("…")
    used = option.fontMetrics.horizontalAdvance(option.text)
    assert used < option.rect.width() - option.fontMetrics.horizontalAdvance("radio")
    assert widget.view.horizontalScrollBar().maximum() == 0


def test_queue_menu_plays_next_removes_and_clears_upcoming(qtbot) -> None:  # Add: queue editing
    model = QueueModel()
    model.add(tracks(1, 2, 3, 4, 5))
    model.set_current(1)
    widget = panel(qtbot, model)
    actions = widget.menu_actions
    assert {a.text() for a in widget.view.actions()} >= {"Play Next", "Clear Upcoming"}
    widget.view.selectionModel().select(
        model.index(4), widget.view.selectionModel().SelectionFlag.Select
    )
    actions["play_next"].trigger()
    assert [e.track_id for e in model.entries()] == [1, 2, 5, 3, 4]
    widget.view.clearSelection()
    widget.view.selectionModel().select(
        model.index(3), widget.view.selectionModel().SelectionFlag.Select
    )
    widget.activateWindow()
    widget.view.setFocus()
    qtbot.waitUntil(widget.view.hasFocus)
    qtbot.keyClick(widget.view, Qt.Key.Key_Delete)
    assert [e.track_id for e in model.entries()] == [1, 2, 5, 4]
    actions["clear_upcoming"].trigger()
    assert [e.track_id for e in model.entries()] == [1, 2]  # history and the playing one stay
    assert model.current_row == 1


def test_a_note_shows_briefly_and_an_entry_note_is_in_its_tooltip(qtbot) -> None:  # item 9
    model = QueueModel()
    model.add(tracks(1), Origin.RADIO)
    widget = panel(qtbot, model)
    widget.show_note("Radio re-planned after the skip: 2 queued picks replaced", 200)
    assert widget.note.isVisible()
    qtbot.waitUntil(lambda: not widget.note.isVisible())
    entry = model.entry(0)
    model.set_note(entry.entry_id, "why: you often play this after that")
    assert "why: you often play this after that" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_dropping_rows_on_the_list_reorders_them(qtbot) -> None:  # Add: drag to reorder
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    model = QueueModel()
    model.add(tracks(1, 2, 3, 4))
    model.set_current(0)
    widget = panel(qtbot, model)
    mime = model.mimeData([model.index(3)])  # what dragging the last row carries
    target = widget.view.visualRect(model.index(1))
    drop = QDropEvent(
        QPointF(target.center().x(), target.top() + 1), Qt.DropAction.MoveAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    widget.view.dropEvent(drop)
    assert [e.track_id for e in model.entries()] == [1, 4, 2, 3]
    assert model.current_entry().track_id == 1
