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
