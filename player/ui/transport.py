"""The transport bar: previous / play-pause / next / stop, seek slider, volume, radio toggle."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from player.ui.library_rows import format_ms


class TransportBar(QWidget):
    """Buttons and sliders; emits what the user asked for, holds no playback logic.

    Signals:
        seek_requested(int): the user released the seek slider at this position (ms).
        volume_requested(float): the volume slider moved (0.0 to 1.0).
    """

    seek_requested = Signal(int)
    volume_requested = Signal(float)

    def __init__(
        self,
        actions: dict[str, QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        for name in ("previous", "play", "next", "stop"):
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setAutoRaise(True)
            button.setIconSize(QSize(28, 28) if name == "play" else QSize(22, 22))
            layout.addWidget(button)
        layout.addSpacing(8)
        self.elapsed = QLabel("0:00")
        self.total = QLabel("0:00")
        for label in (self.elapsed, self.total):
            label.setMinimumWidth(42)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, 0)
        self.seek.setToolTip("Seek (Left / Right)")
        self.seek.sliderReleased.connect(lambda: self.seek_requested.emit(self.seek.value()))
        self.seek.sliderMoved.connect(lambda v: self.elapsed.setText(format_ms(v)))
        layout.addWidget(self.elapsed)
        layout.addWidget(self.seek, 1)
        layout.addWidget(self.total)
        for name in ("shuffle", "repeat"):
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setAutoRaise(True)
            button.setIconSize(QSize(20, 20))
            button.setObjectName(f"{name}_button")
            layout.addWidget(button)
        layout.addSpacing(8)
        self.radio_button = QToolButton()
        self.radio_button.setDefaultAction(actions["radio"])
        self.radio_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.radio_button.setAutoRaise(True)
        layout.addWidget(self.radio_button)
        layout.addSpacing(8)
        volume_icon = QLabel()
        volume_icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolume).pixmap(18, 18)
        )
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setFixedWidth(110)
        self.volume.setToolTip("Volume")
        self.volume.valueChanged.connect(lambda v: self.volume_requested.emit(v / 100.0))
        layout.addWidget(volume_icon)
        layout.addWidget(self.volume)

    def set_duration(self, ms: int) -> None:
        """Range of the seek slider."""
        self.seek.setRange(0, max(0, ms))
        self.total.setText(format_ms(ms) if ms > 0 else "0:00")

    def set_position(self, ms: int) -> None:
        """Move the seek slider unless the user is dragging it."""
        if not self.seek.isSliderDown():
            self.seek.setValue(ms)
            self.elapsed.setText(format_ms(ms))

    def set_volume(self, volume: float) -> None:
        """Show ``volume`` without emitting a request."""
        self.volume.blockSignals(True)
        self.volume.setValue(round(volume * 100))
        self.volume.blockSignals(False)

    def set_playing(self, playing: bool) -> None:
        """Swap the play/pause icon."""
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self._actions["play"].setIcon(self.style().standardIcon(icon))
        self._actions["play"].setText("Pause" if playing else "Play")
