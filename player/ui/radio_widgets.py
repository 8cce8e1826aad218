"""Radio's widgets: the adventurousness slider under the Radio button, and the retrain action.

Wired to the radio controller and the plugin host by :func:`player.app.attach_radio`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from player.plugin_host import PluginHost

log = logging.getLogger(__name__)

ADVENTUROUSNESS_KEY = "radio/adventurousness"


def adventurousness_words(value: float) -> str:
    """What a slider position means, in words."""
    words = ("familiar", "mostly familiar", "balanced", "a little adventurous", "adventurous")
    return words[min(len(words) - 1, int(min(1.0, max(0.0, value)) * len(words)))]


class AdventurousnessSlider(QWidget):
    """ "Familiar ⟷ Adventurous" slider with what the position means; emits the value in
    [0, 1]."""

    changed = Signal(float)

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(value * 100))
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip("How far radio strays from what you usually play next")
        self.slider.setAccessibleName("Radio adventurousness")
        self.meaning = QLabel()
        self.meaning.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.meaning.setMinimumWidth(self.meaning.fontMetrics().horizontalAdvance("x" * 24))
        row = QHBoxLayout()
        row.addWidget(QLabel("Familiar"))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("Adventurous"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(row)
        layout.addWidget(self.meaning)
        self.slider.valueChanged.connect(self._moved)
        self._show_meaning()

    def _moved(self, v: int) -> None:
        self._show_meaning()
        self.changed.emit(v / 100.0)

    def _show_meaning(self) -> None:
        value = self.value()
        self.meaning.setText(f"Radio now: {adventurousness_words(value)} ({round(value * 100)}%)")

    def value(self) -> float:
        """The current value in [0, 1]."""
        return self.slider.value() / 100.0


def add_slider(window, value: float, changed: Callable[[float], None]) -> AdventurousnessSlider:
    """Put the adventurousness slider in the Radio button's menu; ``changed`` gets each value."""
    slider = AdventurousnessSlider(value)
    slider.changed.connect(changed)
    button: QToolButton = window.transport.radio_button
    menu = _MenuAbove(button, window)
    holder = QWidgetAction(menu)
    holder.setDefaultWidget(slider)
    menu.addSection("Adventurousness")
    menu.addAction(holder)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return slider


class _MenuAbove(QMenu):
    """A button's menu that opens above it, inside the window (the transport bar is at the
    window's bottom edge: below it the menu hung outside the window)."""

    def __init__(self, button: QToolButton, parent: QWidget) -> None:
        super().__init__(parent)
        self._button = button

    def showEvent(self, event) -> None:
        window = self._button.window()
        top_left = self._button.mapToGlobal(QPoint(0, -self.sizeHint().height()))
        right = window.mapToGlobal(QPoint(window.width(), 0)).x()
        x = max(window.mapToGlobal(QPoint(0, 0)).x(), min(top_left.x(), right - self.width()))
        self.move(x, top_left.y())
        super().showEvent(event)


def add_retrain_action(window, host: PluginHost) -> QAction:
    """Tools → Retrain Radio on Local History, with progress and a cancel in the window."""
    action = QAction("Retrain Radio on Local &History", window)
    action.setStatusTip("Retrain the radio's model from your whole listening history")

    def retrain() -> None:
        if not host.train(full=True):
            window.show_message("No recommender plugin is loaded; nothing to retrain.")
            return
        action.setEnabled(False)
        window.begin_progress("Retraining radio: reading your history", host.cancel_training)

    def progressed(_name: str, done: int, total: int, message: str) -> None:
        percent = 100 * done // total if total else 0
        window.update_progress(done, total, f"{message or 'Retraining radio'}: {percent}%")

    def finished(_name: str, ok: bool, message: str) -> None:
        action.setEnabled(True)
        window.end_progress()
        if ok:
            window.show_message(message or "Radio retrained on your history.", 10000)
        else:
            window.show_message(f"Radio not retrained: {message}.", 10000)

    action.triggered.connect(retrain)
    host.train_progress.connect(progressed)
    host.train_finished.connect(finished)
    window.menus["tools"].addSeparator()
    window.menus["tools"].addAction(action)
    return action
