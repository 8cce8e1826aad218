"""Start-up stays light: building the window never imports torch (fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "CLEAN"
