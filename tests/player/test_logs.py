"""Logging goes to a file in the log folder; setting it up twice does not double the lines."""

from __future__ import annotations

import logging

from player.logs import setup_logging
from player.paths import AppPaths


def test_log_file_and_idempotent_setup(app_paths: AppPaths) -> None:
    setup_logging(app_paths, debug=False)
    setup_logging(app_paths, debug=True)  # the conftest fixture removes these handlers after
    logging.getLogger("segue.test").debug("hello %s", "there")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert (app_paths.log_dir / "segue.log").read_text().count("hello there") == 1
