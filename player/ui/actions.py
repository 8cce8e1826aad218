"""The window's actions (menus, shortcuts, transport buttons) built in one place."""

from __future__ import annotations

import importlib.resources

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QIcon, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QStyle, QWidget

SEEK_STEP_MS = 5000

#: Playback actions whose keys work wherever focus is, the search box included.
PLAYBACK_ACTIONS = ("play", "stop", "previous", "next")
_MEDIA_KEYS = {
    "play": (Qt.Key.Key_MediaTogglePlayPause, Qt.Key.Key_MediaPlay, Qt.Key.Key_MediaPause),
    "stop": (Qt.Key.Key_MediaStop,),
    "previous": (Qt.Key.Key_MediaPrevious,),
    "next": (Qt.Key.Key_MediaNext,),
}


def resource_icon(name: str) -> QIcon:
    """An icon drawn for Segue, read from the ``resources`` package."""
    with importlib.resources.as_file(importlib.resources.files("resources") / name) as path:
        return QIcon(str(path))


def build_actions(window: QWidget) -> dict[str, QAction]:
    """Create every action of the main window (unconnected), keyed by name.

    ``radio`` is checkable and disabled until a radio controller enables it (Ctrl+R).
    """
    style = window.style()
    sp = QStyle.StandardPixmap

    def make(
        name: str,
        text: str,
        shortcut: str | QKeySequence.StandardKey | None = None,
        icon: QStyle.StandardPixmap | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, window)
        action.setObjectName(f"action_{name}")
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(style.standardIcon(icon))
        if tip or shortcut is not None:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip or text} ({keys})" if keys else tip or text)
        window.addAction(action)
        return action

    actions = {
        "add_folder": make("add_folder", "&Add Music Folder…", None, sp.SP_DirOpenIcon),
        "rescan": make("rescan", "&Rescan Library", "F5", sp.SP_BrowserReload),
        "settings": make("settings", "&Settings…", "Ctrl+,", sp.SP_FileDialogDetailedView),
        "quit": make("quit", "&Quit", "Ctrl+Q", sp.SP_DialogCloseButton),
        "play": make("play", "Play", "Space", sp.SP_MediaPlay, "Play / Pause"),
        "stop": make("stop", "Stop", None, sp.SP_MediaStop),
        "previous": make("previous", "Previous", "Ctrl+Left", sp.SP_MediaSkipBackward),
        "next": make("next", "Next", "Ctrl+Right", sp.SP_MediaSkipForward),
        "seek_back": make("seek_back", "Seek Back 5 s", "Left", sp.SP_MediaSeekBackward),
        "seek_forward": make("seek_forward", "Seek Forward 5 s", "Right", sp.SP_MediaSeekForward),
        "search": make("search", "&Find…", QKeySequence.StandardKey.Find),
        "play_selected": make("play_selected", "&Play", None, sp.SP_MediaPlay),
        "play_next": make("play_next", "Play &Next", "Ctrl+Shift+Return"),
        "enqueue": make("enqueue", "Add to &Queue", "Ctrl+Return"),
        "radio": make(
            "radio",
            "Radio",
            "Ctrl+R",
            sp.SP_BrowserReload,
            "Endless radio picked from your listening",
        ),
        "shuffle": make("shuffle", "Shuffle", "Ctrl+H", None, "Shuffle"),
        "repeat": make("repeat", "Repeat", "Ctrl+T", None, "Repeat"),
        "about": make("about", "&About Segue", None, sp.SP_MessageBoxInformation),
    }
    actions["radio"].setIcon(resource_icon("radio.svg"))
    actions["search"].setIcon(resource_icon("search.svg"))
    actions["shuffle"].setIcon(resource_icon("shuffle.svg"))
    actions["repeat"].setIcon(resource_icon("repeat.svg"))
    actions["radio"].setCheckable(True)
    actions["radio"].setEnabled(False)
    for name in ("stop", "previous", "next"):  # no plain key: safe in every window of the app
        action = actions[name]
        action.setShortcuts([*action.shortcuts(), *map(QKeySequence, _MEDIA_KEYS[name])])
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    # Space stays the main window's (in a dialog it presses the focused button); the media
    # play keys work in every window through an action of their own.
    media_play = QAction("Play / Pause (media key)", window)
    media_play.setShortcuts(list(map(QKeySequence, _MEDIA_KEYS["play"])))
    media_play.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    media_play.triggered.connect(actions["play"].trigger)
    window.addAction(media_play)
    actions["media_play"] = media_play
    return actions


class SearchKeys(QObject):
    """Keys of a search box: playback shortcuts with a modifier (Ctrl+Right: next) and media keys
    reach their actions instead of moving the text cursor; plain keys (Space, Left, Right)
    still edit the text; Escape clears the search."""

    def __init__(self, line_edit: QLineEdit, actions: dict[str, QAction]) -> None:
        super().__init__(line_edit)
        self._edit = line_edit
        self._keys = {
            seq.toString()
            for name in (*PLAYBACK_ACTIONS, "media_play")
            for seq in actions[name].shortcuts()
            if not _is_text_key(seq)
        }
        line_edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if QKeySequence(event.keyCombination()).toString() in self._keys:
                return True  # not accepted by the line edit: the shortcut fires
            if event.key() == Qt.Key.Key_Escape and self._edit.text():
                event.accept()  # Escape is ours here (it clears), not a window shortcut's
                return True
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self._edit.text()
        ):
            self._edit.clear()
            return True
        return False


def _is_text_key(seq: QKeySequence) -> bool:
    """A key without Ctrl / Alt / Meta that a text field uses (Space, arrows, letters)."""
    combo = seq[0]
    modifiers = combo.keyboardModifiers() & ~Qt.KeyboardModifier.ShiftModifier
    media = Qt.Key.Key_MediaPlay <= combo.key() <= Qt.Key.Key_MediaLast
    return modifiers == Qt.KeyboardModifier.NoModifier and not media
