"""The player's library and history as the command line reads them (``train``, ``radio``).

``player.paths``, ``player.db``, ``player.library`` and ``player.history`` are imported inside
the functions only: they pull SQLAlchemy, and the recommender package must stay importable
without it (a test checks that importing ``recommender.plugin`` loads neither PySide6 nor
SQLAlchemy).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from player.plugin_api import PluginContext

if TYPE_CHECKING:
    from player.db.engine import Database
    from player.history import History


def open_player_data(data_dir: Path | None) -> tuple[Path, Database, History]:
    """The data folder, library database and history (``None``: Segue's default folder)."""
    from player.db.engine import open_database
    from player.history import History
    from player.paths import AppPaths

    paths = AppPaths.resolve(data_dir)
    paths.ensure()
    db = open_database(paths.db_path)
    if db.notice:
        print(db.notice, file=sys.stderr)
    return paths.data_dir, db, History(db)


def plugin_context(
    data_dir: Path, db: Database, history: History, stop: threading.Event | None = None
) -> PluginContext:
    """What the plugin gets from the player, here read straight from the database."""
    from player.library import track_infos

    return PluginContext(
        data_dir=data_dir,
        load_library=lambda: track_infos(db),
        load_sessions=lambda: history.closed_sessions_since(0),
        should_stop=(stop or threading.Event()).is_set,
    )
