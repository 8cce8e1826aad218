"""Opening one file from outside Segue (MPRIS ``OpenUri``): it plays, then the rest of its album."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, SignalInstance

from player.albums import album_key, play_order
from player.controller import PlayerController
from player.paths import printable
from player.ui.library_model import LibraryModel

if TYPE_CHECKING:
    from player.library import TrackRow
    from player.scanner import ScanReport

log = logging.getLogger(__name__)


class FileOpener(QObject):
    """Plays a file by path: a library track at once; a new file under a music folder after its
    folder is scanned (so it joins the library and its history counts); other files are refused
    with a message (Segue's history is of the library's tracks).

    Args:
        model: The library as the window holds it.
        controller: Plays the track and what follows it.
        music_folders: The library's folders.
        scan: Starts a scan of some folders.
        scanned: Emitted with the :class:`~player.scanner.ScanReport` when a scan ends.
        message: Shows a line in the status bar.
    """

    def __init__(
        self,
        model: LibraryModel,
        controller: PlayerController,
        *,
        music_folders: Callable[[], list[Path]],
        scan: Callable[[list[Path]], None],
        scanned: SignalInstance,
        message: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._controller = controller
        self._music_folders = music_folders
        self._scan = scan
        self._message = message
        self._pending: str | None = None
        scanned.connect(self._on_scanned)

    def open_file(self, path: str) -> None:
        """Play ``path`` and the tracks after it on its album."""
        track = self._find(path)
        if track is not None:
            self._play(track)
            return
        if not os.path.isfile(path):
            self._message(f"Cannot play {printable(path)}: file not found")
            return
        folder = self._music_folder_of(path)
        if folder is None:
            self._message(
                f"{printable(path)} is not in your music folders; add its folder "
                "(File → Add Music Folder) to play it in Segue"
            )
            return
        log.info("adding %s to the library before playing it", printable(path))
        self._pending = path
        self._scan([Path(path).parent])

    def _on_scanned(self, _report: ScanReport) -> None:
        path, self._pending = self._pending, None
        if path is None:
            return
        track = self._find(path)
        if track is None:
            self._message(f"Cannot play {printable(path)}: Segue could not read it")
            return
        self._play(track)

    def _find(self, path: str) -> TrackRow | None:
        wanted = {path, os.path.realpath(path)}
        return next((r for r in self._model.rows() if r.path in wanted), None)

    def _music_folder_of(self, path: str) -> Path | None:
        real = Path(os.path.realpath(path))
        for folder in self._music_folders():
            if real.is_relative_to(os.path.realpath(folder)):
                return folder
        return None

    def _play(self, track: TrackRow) -> None:
        key = album_key(track)
        if key is None:
            self._controller.play_through([track])
            return
        album = sorted((r for r in self._model.rows() if album_key(r) == key), key=play_order)
        self._controller.play_through(album[album.index(track) :])
