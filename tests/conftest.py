"""Fixtures every test may use: an isolated data folder and a fresh library database."""

from __future__ import annotations

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
