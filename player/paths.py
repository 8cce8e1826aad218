"""Where Segue keeps its files (data, cache, state); paths as file URLs and as terminal text."""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "segue"
DATA_DIR_ENV = "SEGUE_DATA_DIR"


def printable(path: str) -> str:
    """A path that any terminal or widget can show (bytes that are not UTF-8 as \\xNN)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class AppPaths:
    """The three folders Segue writes to, and the files inside them.

    Attributes:
        data_dir: Database and model files.
        cache_dir: Things that can be rebuilt (cover thumbnails).
        state_dir: Logs.
    """

    data_dir: Path
    cache_dir: Path
    state_dir: Path

    @property
    def db_path(self) -> Path:
        """The library and history database."""
        return self.data_dir / "library.db"

    @property
    def window_lock_path(self) -> Path:
        """Held by the one player window using this data folder, for as long as it is open."""
        return self.data_dir / "window.lock"

    @property
    def models_dir(self) -> Path:
        """Where plugins keep model weights."""
        return self.data_dir / "models"

    @property
    def covers_dir(self) -> Path:
        """Cached cover thumbnails."""
        return self.cache_dir / "covers"

    @property
    def log_dir(self) -> Path:
        """Log files."""
        return self.state_dir / "logs"

    @classmethod
    def resolve(cls, data_dir: str | Path | None = None) -> AppPaths:
        """Pick the folders: ``data_dir`` beats ``$SEGUE_DATA_DIR`` beats the platform defaults.

        With an override, the cache and state folders live inside it (``DIR/cache``,
        ``DIR/state``), so one folder holds a whole, separate library.
        """
        chosen = data_dir if data_dir not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
        if chosen is not None:
            root = Path(chosen).expanduser().absolute()
            return cls(data_dir=root, cache_dir=root / "cache", state_dir=root / "state")
        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME)),
            state_dir=Path(platformdirs.user_state_dir(APP_NAME)),
        )

    def ensure(self) -> None:
        """Create every folder (and its parents) that does not exist yet."""
        for folder in (
            self.data_dir,
            self.cache_dir,
            self.state_dir,
            self.models_dir,
            self.covers_dir,
            self.log_dir,
        ):
            folder.mkdir(parents=True, exist_ok=True)


def file_url(path: str) -> str:
    """A ``file://`` URL of ``path``, percent-encoded from its bytes (names need not be UTF-8)."""
    return "file://" + urllib.parse.quote(os.fsencode(path))


def url_path(url: str) -> str | None:
    """The local path of a ``file:`` URL (percent-decoded to bytes, so any name comes back), or
    None for another scheme or a file on another host."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return os.fsdecode(urllib.parse.unquote_to_bytes(parts.path))
