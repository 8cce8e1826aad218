"""Logging set-up: a rotating file in the log folder plus stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from player.paths import AppPaths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_segue_handler"


def setup_logging(paths: AppPaths, *, debug: bool, console_level: int = logging.WARNING) -> None:
    """Send log records to ``<log_dir>/segue.log`` (rotated) and to stderr.

    Calling it again replaces the handlers it installed before (tests, several CLI runs).

    Args:
        paths: Where the log folder is (created if needed).
        debug: Log everything (file and stderr) at DEBUG level.
        console_level: Level for stderr when not debugging (the CLI prints its own report).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if debug else console_level)
    handlers.append(console)
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            paths.log_dir / "segue.log",
            maxBytes=2_000_000,
            backupCount=3,
            encoding="utf-8",
            errors="backslashreplace",  # a file name that is not UTF-8 must not break the line
        )
        file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
        handlers.append(file_handler)
    except OSError as error:
        console.setLevel(min(console.level, logging.INFO))
        logging.getLogger(__name__).warning("Cannot write logs to %s: %s", paths.log_dir, error)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    # Alembic says "Context impl SQLiteImpl" and "Will assume transactional DDL" at every open.
    logging.getLogger("alembic").setLevel(logging.DEBUG if debug else logging.WARNING)
