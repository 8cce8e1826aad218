"""The window's actions (menus, shortcuts, transport buttons) built in one place."""

from __future__ import annotations

import importlib.resources

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

SEEK_STEP_MS = 5000


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
        "about": make("about", "&About Segue", None, sp.SP_MessageBoxInformation),
    }
    actions["radio"].setIcon(resource_icon("radio.svg"))
    actions["search"].setIcon(resource_icon("search.svg"))
    actions["radio"].setCheckable(True)
    actions["radio"].setEnabled(False)
    return actions
