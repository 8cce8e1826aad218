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


class PlayerDataError(Exception):
    """The player's data cannot be read; the message is one line for a human.

    Attributes:
        status: The exit code: 2 for a bad ``--data-dir``, 1 for a database that cannot be opened.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def open_player_data(data_dir: Path | None) -> tuple[Path, Database, History]:
    """The data folder, library database and history (``None``: Segue's default folder).

    Raises:
        PlayerDataError: The folder does not exist (these commands only read what the player
            wrote: a mistyped ``--data-dir`` must not become a new, empty library), or the
            database cannot be opened (unreadable, from a newer Segue, corrupt and cannot be
            set aside).
    """
    from player.db.engine import DatabaseError, open_database
    from player.history import History
    from player.paths import AppPaths

    paths = AppPaths.resolve(data_dir)
    if not paths.data_dir.is_dir():
        reason = "it is not a folder" if paths.data_dir.exists() else "it does not exist"
        raise PlayerDataError(f"no Segue data in {paths.data_dir} ({reason})", 2)
    try:
        paths.ensure()
        db = open_database(paths.db_path)
    except DatabaseError as error:
        raise PlayerDataError(str(error), 1) from error
    except OSError as error:  # e.g. a corrupt file that cannot be moved aside
        raise PlayerDataError(f"cannot open the library in {paths.data_dir}: {error}", 1) from error
    if db.notice:
        print(db.notice, file=sys.stderr)
    return paths.data_dir, db, History(db)


def plugin_context(
    data_dir: Path, db: Database, history: History, stop: threading.Event | None = None
) -> PluginContext:
    """What the plugin gets from the player, here read straight from the database."""
    from player.feedback import FeedbackLog
    from player.library import track_infos

    return PluginContext(
        data_dir=data_dir,
        load_library=lambda: track_infos(db),
        load_sessions=lambda: history.closed_sessions_since(0),
        should_stop=(stop or threading.Event()).is_set,
        load_feedback=FeedbackLog(db).standing,  # loves weigh in training; never-play masked
    )
