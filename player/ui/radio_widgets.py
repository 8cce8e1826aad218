"""Radio's widgets: the adventurousness slider under the Radio button, and the retrain action.

Wired to the radio controller and the plugin host by :func:`player.app.attach_radio`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from player.plugin_host import PluginHost

log = logging.getLogger(__name__)

ADVENTUROUSNESS_KEY = "radio/adventurousness"


class AdventurousnessSlider(QWidget):
    """ "Familiar ⟷ Adventurous" slider; emits the value in [0, 1]."""

    changed = Signal(float)

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(round(value * 100))
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip("How far radio strays from what you usually play next")
        self.slider.setAccessibleName("Radio adventurousness")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(QLabel("Familiar"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(QLabel("Adventurous"))
        self.slider.valueChanged.connect(lambda v: self.changed.emit(v / 100.0))

    def value(self) -> float:
        """The current value in [0, 1]."""
        return self.slider.value() / 100.0


def add_slider(window, value: float, changed: Callable[[float], None]) -> AdventurousnessSlider:
    """Put the adventurousness slider in the Radio button's menu; ``changed`` gets each value."""
    slider = AdventurousnessSlider(value)
    slider.changed.connect(changed)
    menu = QMenu(window)
    holder = QWidgetAction(menu)
    holder.setDefaultWidget(slider)
    menu.addSection("Adventurousness")
    menu.addAction(holder)
    button: QToolButton = window.transport.radio_button
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    return slider


def add_retrain_action(window, host: PluginHost) -> QAction:
    """Tools → Retrain Radio on Local History, with progress and a cancel in the window."""
    action = QAction("Retrain Radio on Local &History", window)
    action.setStatusTip("Retrain the radio's model from your whole listening history")

    def retrain() -> None:
        if not host.train(full=True):
            window.show_message("No recommender plugin is loaded; nothing to retrain.")
            return
        action.setEnabled(False)
        window.begin_progress("Retraining radio…", host.cancel_training)

    def progressed(_name: str, done: int, total: int, message: str) -> None:
        window.update_progress(done, total, f"Retraining radio… {message}".strip())

    def finished(_name: str, ok: bool, message: str) -> None:
        action.setEnabled(True)
        window.end_progress()
        window.show_message("Radio retrained on your history." if ok else
                            f"Retraining stopped: {message}")  # fmt: skip

    action.triggered.connect(retrain)
    host.train_progress.connect(progressed)
    host.train_finished.connect(finished)
    window.menus["tools"].addSeparator()
    window.menus["tools"].addAction(action)
    return action
