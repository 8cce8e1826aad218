"""Fixtures every test may use: an isolated data folder and a fresh library database."""

from __future__ import annotations

import faulthandler
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from player.db.engine import Database, open_database
from player.paths import AppPaths


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """An ``AppPaths`` rooted in the test's temporary folder (folders created)."""
    paths = AppPaths.resolve(tmp_path / "segue-data")
    paths.ensure()
    return paths


@pytest.fixture
def db(app_paths: AppPaths) -> Iterator[Database]:
    """A fresh, migrated library database in a temporary file."""
    database = open_database(app_paths.db_path)
    yield database
    database.close()


#: A test (or the teardown after it) still running after this long is stuck, not slow.
HANG_SECONDS = 300


@pytest.fixture(autouse=True)
def _hang_watchdog() -> Iterator[None]:
    """Print every thread's stack and exit with an error if the suite stops moving.

    A deadlock in C++ (Qt's mutexes and the GIL, say) blocks the main thread where no Python
    timeout can reach it; faulthandler's watchdog is a C thread that needs no GIL. Re-armed after
    each test rather than cancelled, so teardown at exit is watched too.
    """
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    yield
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """Undo handlers a test installed (e.g. through the CLI's ``setup_logging``)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
