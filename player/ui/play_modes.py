"""Shuffle and repeat in the window: the transport's two buttons, kept across restarts."""

from __future__ import annotations

from PySide6.QtGui import QAction

from player.controller import PlayerController, Repeat
from player.ui.actions import resource_icon
from player.ui.settings_store import SettingsStore

_NEXT = {Repeat.OFF: Repeat.ALL, Repeat.ALL: Repeat.ONE, Repeat.ONE: Repeat.OFF}
_REPEAT_TEXT = {
    Repeat.OFF: "Repeat: off",
    Repeat.ALL: "Repeat: the whole queue",
    Repeat.ONE: "Repeat: this track",
}


class PlayModes:
    """Keeps the shuffle and repeat actions, the controller and the settings in step.

    The controller's modes may also change from MPRIS; the actions follow them either way.
    """

    def __init__(
        self,
        shuffle: QAction,
        repeat: QAction,
        controller: PlayerController,
        store: SettingsStore,
    ) -> None:
        self._shuffle, self._repeat = shuffle, repeat
        self._controller, self._store = controller, store
        self._icons = {
            Repeat.OFF: resource_icon("repeat.svg"),
            Repeat.ALL: resource_icon("repeat.svg"),
            Repeat.ONE: resource_icon("repeat-one.svg"),
        }
        shuffle.setCheckable(True)
        repeat.setCheckable(True)  # checked (highlighted) while repeating
        controller.set_shuffle(store.shuffle())
        controller.set_repeat(store.repeat())
        shuffle.toggled.connect(controller.set_shuffle)
        repeat.triggered.connect(lambda: controller.set_repeat(_NEXT[controller.repeat]))
        controller.mode_changed.connect(self._show)
        self._show()

    def _show(self) -> None:
        c = self._controller
        self._shuffle.blockSignals(True)
        self._shuffle.setChecked(c.shuffle)
        self._shuffle.blockSignals(False)
        self._shuffle.setToolTip(f"Shuffle: {'on' if c.shuffle else 'off'} (Ctrl+H)")
        self._repeat.setChecked(c.repeat != Repeat.OFF)
        self._repeat.setIcon(self._icons[c.repeat])
        self._repeat.setText(_REPEAT_TEXT[c.repeat])
        self._repeat.setToolTip(f"{_REPEAT_TEXT[c.repeat]} (Ctrl+T to change)")
        self._store.set_shuffle(c.shuffle)
        self._store.set_repeat(c.repeat)
