"""What the window remembers between runs, kept in an INI file through QSettings."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from player.controller import Repeat
from player.plugin_api import Origin
from player.replaygain import GainMode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """The user's choices in the settings dialog besides the music folders.

    ``watch``: rescan at start and watch the music folders while Segue runs; ``replaygain``: the
    gain applied to playback; ``notifications``: a desktop notification on each new track.
    """

    watch: bool = True
    replaygain: GainMode = GainMode.AUTO
    notifications: bool = False


def _flag(value: object, default: bool) -> bool:
    """A boolean as QSettings gives it back from an INI file (``"true"``, ``"false"``, ...)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    return default


class SettingsStore:
    """Typed accessors over one QSettings INI file (tests point it at a temporary folder)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._s = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> str:
        """The INI file."""
        return self._s.fileName()

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._s.sync()

    # -- library ---------------------------------------------------------------------------
    def music_folders(self) -> list[Path]:
        """Folders the library is scanned from."""
        raw = self._s.value("library/folders", "[]")
        try:
            return [Path(p) for p in json.loads(str(raw))]
        except (ValueError, TypeError):
            log.warning("ignoring unreadable music folder list %r", raw)
            return []

    def set_music_folders(self, folders: list[Path]) -> None:
        """Remember the music folders (duplicates dropped, order kept)."""
        unique = list(dict.fromkeys(str(p) for p in folders))
        self._s.setValue("library/folders", json.dumps(unique))

    def options(self) -> Options:
        """The dialog's options (defaults for anything missing or unreadable)."""
        default = Options()
        return Options(
            watch=_flag(self._s.value("library/watch", default.watch), default.watch),
            replaygain=GainMode.parse(self._s.value("playback/replaygain", default.replaygain)),
            notifications=_flag(
                self._s.value("desktop/notifications", default.notifications),
                default.notifications,
            ),
        )

    def set_options(self, options: Options) -> None:
        """Remember the dialog's options."""
        self._s.setValue("library/watch", bool(options.watch))
        self._s.setValue("playback/replaygain", str(options.replaygain))
        self._s.setValue("desktop/notifications", bool(options.notifications))

    # -- window layout ---------------------------------------------------------------------
    def blob(self, key: str) -> QByteArray | None:
        """A saved Qt state blob (geometry, splitter, header)."""
        value = self._s.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_blob(self, key: str, value: QByteArray) -> None:
        """Save a Qt state blob."""
        self._s.setValue(f"window/{key}", value)

    # -- playback --------------------------------------------------------------------------
    def volume(self) -> float:
        """Last volume, 0.0 to 1.0."""
        try:
            return min(1.0, max(0.0, float(self._s.value("playback/volume", 0.8))))
        except (TypeError, ValueError):
            return 0.8

    def set_volume(self, volume: float) -> None:
        """Remember the volume."""
        self._s.setValue("playback/volume", float(volume))

    def shuffle(self) -> bool:
        """Whether shuffle was on."""
        return str(self._s.value("playback/shuffle", "false")).lower() == "true"

    def set_shuffle(self, on: bool) -> None:
        """Remember shuffle."""
        self._s.setValue("playback/shuffle", "true" if on else "false")

    def repeat(self) -> Repeat:
        """The repeat mode last chosen (off when unreadable)."""
        try:
            return Repeat(str(self._s.value("playback/repeat", "off")))
        except ValueError:
            return Repeat.OFF

    def set_repeat(self, mode: Repeat) -> None:
        """Remember the repeat mode."""
        self._s.setValue("playback/repeat", str(mode))

    def queue(self) -> tuple[list[tuple[int, Origin]], int, int]:
        """Last queue as (track id, origin) pairs, the current row, and the position in ms."""
        try:
            items = json.loads(str(self._s.value("queue/entries", "[]")))
            entries = [(int(t), Origin(o)) for t, o in items]
            row = int(self._s.value("queue/current", -1))
            pos = int(self._s.value("queue/position_ms", 0))
        except (ValueError, TypeError):
            log.warning("ignoring unreadable saved queue")
            return [], -1, 0
        return entries, row, pos

    def set_queue(
        self, entries: list[tuple[int, Origin]], current_row: int, position_ms: int
    ) -> None:
        """Remember the queue and where playback stood."""
        self._s.setValue("queue/entries", json.dumps([[t, str(o)] for t, o in entries]))
        self._s.setValue("queue/current", int(current_row))
        self._s.setValue("queue/position_ms", int(position_ms))

    def value(self, key: str, default: object = None) -> object:
        """Any other setting (for later features such as the radio's options)."""
        return self._s.value(key, default)

    def set_value(self, key: str, value: object) -> None:
        """Store any other setting."""
        self._s.setValue(key, value)
