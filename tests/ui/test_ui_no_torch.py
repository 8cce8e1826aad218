"""Start-up stays light: building the window never imports torch (fresh interpreter)."""

from __future__ import annotations

from pathlib import Path

from tests.fresh_python import run_offscreen

SCRIPT = """
import sys
from player.app import build_player
from player.db.engine import open_database
from player.paths import AppPaths
from PySide6.QtWidgets import QApplication

app = QApplication([])
paths = AppPaths.resolve(sys.argv[1])
paths.ensure()
db = open_database(paths.db_path)
parts = build_player(paths, db)
parts.window.show()
app.processEvents()
parts.shutdown()
parts.dispose()
db.close()
heavy = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print("TORCH" if heavy else "CLEAN")
"""


def test_window_does_not_import_torch(tmp_path: Path) -> None:
    result = run_offscreen(SCRIPT, str(tmp_path / "data"), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "CLEAN"


SHOWN_FIRST = """
import sys
import player.cli  # the `segue` command's module, as a launch imports it first
from player.app import build_window
from player.paths import AppPaths
from PySide6.QtWidgets import QApplication

app = QApplication([])
paths = AppPaths.resolve(sys.argv[1])
paths.ensure()
parts = build_window(paths)
parts.window.show()
app.processEvents()
print(sorted(m for m in ("sqlalchemy", "alembic", "mutagen", "torch") if m in sys.modules))
parts.dispose()
"""


def test_the_window_is_shown_before_the_database_layer_loads(tmp_path: Path) -> None:
    """Issue 29: `segue` imported SQLAlchemy (and mutagen) before its window was on screen."""
    result = run_offscreen(SHOWN_FIRST, str(tmp_path / "data"), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
