"""The playlist pane's door to the database (imported once the window is up, like
``library_access``): every method runs SQL, so the pane calls them on its task pool."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from player.db.engine import Database
from player.playlists import import_export, store
from player.playlists.import_export import ImportReport
from player.playlists.store import EntrySource, PlaylistInfo, PlaylistItem


class DatabasePlaylists:
    """The playlist store, import and export bound to one database (a session per call,
    thread-safe)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self) -> list[PlaylistInfo]:
        """Every playlist with its counts."""
        return store.list_playlists(self._db)

    def items(self, playlist_id: int) -> list[PlaylistItem]:
        """One playlist's entries in order."""
        return store.playlist_items(self._db, playlist_id)

    def create(self, name: str, sources: Sequence[EntrySource]) -> PlaylistInfo:
        """A new playlist of ``sources``."""
        return store.create_playlist(self._db, name, sources)

    def add(
        self, playlist_id: int, sources: Sequence[EntrySource], at: int | None = None
    ) -> list[PlaylistItem]:
        """Add entries before row ``at`` (None: at the end)."""
        return store.add_entries(self._db, playlist_id, sources, at)

    def rename(self, playlist_id: int, name: str) -> PlaylistInfo:
        """Rename a playlist."""
        return store.rename_playlist(self._db, playlist_id, name)

    def delete(self, playlist_id: int) -> None:
        """Delete a playlist."""
        store.delete_playlist(self._db, playlist_id)

    def move(self, playlist_id: int, entry_ids: Sequence[int], dest: int) -> list[PlaylistItem]:
        """Move entries to before row ``dest``."""
        return store.move_entries(self._db, playlist_id, entry_ids, dest)

    def remove(self, playlist_id: int, entry_ids: Sequence[int]) -> list[PlaylistItem]:
        """Take entries out of a playlist."""
        return store.remove_entries(self._db, playlist_id, entry_ids)

    def import_file(self, path: Path) -> ImportReport:
        """Import a playlist file under its own name."""
        return import_export.import_playlist(self._db, path)

    def export_file(self, playlist_id: int, name: str, path: Path) -> int:
        """Write one playlist to ``path`` (format from the suffix)."""
        return import_export.export_items(self.items(playlist_id), name, path)
