"""Logging goes to a file in the log folder; setting it up twice does not double the lines."""

from __future__ import annotations

import logging

from player.logs import setup_logging
from player.paths import AppPaths


def test_log_file_and_idempotent_setup(app_paths: AppPaths) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        setup_logging(app_paths, debug=False)
        setup_logging(app_paths, debug=True)
        logging.getLogger("segue.test").debug("hello %s", "there")
        for handler in root.handlers:
            handler.flush()
        text = (app_paths.log_dir / "segue.log").read_text()
        assert text.count("hello there") == 1
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
