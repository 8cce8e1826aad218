"""The window's door to the library database: load rows, scan folders, mark missing tracks.

Kept apart so the window's modules never import SQLAlchemy or mutagen: ``player.app`` builds a
:class:`DatabaseLibrary` only after the window is on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from player.db.engine import Database
from player.library import TrackRow, load_track_rows, load_track_rows_at, mark_unavailable
from player.scanner import ScanProgress, ScanReport, scan


class LibraryAccess(Protocol):
    """What the window asks of the library (called on worker threads)."""

    def load_rows(self) -> list[TrackRow]: ...
    def load_rows_at(self, paths: Sequence[str]) -> list[TrackRow]: ...
    def scan(
        self,
        folders: Sequence[Path],
        *,
        progress: Callable[[ScanProgress], None],
        should_stop: Callable[[], bool],
        paths: Sequence[Path] | None = None,
    ) -> ScanReport: ...
    def mark_unavailable(self, track_id: int) -> None: ...


class DatabaseLibrary:
    """:class:`LibraryAccess` over a Segue database (a session per call, thread-safe)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load_rows(self) -> list[TrackRow]:
        """Every track with its finished-play count."""
        return load_track_rows(self._db)

    def load_rows_at(self, paths: Sequence[str]) -> list[TrackRow]:
        """The tracks at ``paths`` (after a scan of only some paths)."""
        return load_track_rows_at(self._db, paths)

    def scan(
        self,
        folders: Sequence[Path],
        *,
        progress: Callable[[ScanProgress], None],
        should_stop: Callable[[], bool],
        paths: Sequence[Path] | None = None,
    ) -> ScanReport:
        """Scan ``folders`` into the library (only ``paths`` under them, when given)."""
        return scan(self._db, folders, progress=progress, should_stop=should_stop, paths=paths)

    def mark_unavailable(self, track_id: int) -> None:
        """Remember that the file of ``track_id`` is gone."""
        mark_unavailable(self._db, track_id)
