"""The recommender package never imports Qt or SQLAlchemy (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_recommender_imports_no_qt_and_no_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import recommender, recommender.recommender, recommender.cli, recommender.baselines\n"
        "import recommender.evaluation, recommender.incremental, recommender.checkpoint\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'sqlalchemy')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
