"""Run a script in a fresh interpreter with offscreen Qt (for start-up and import checks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_offscreen(script: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with ``python -c`` from the project root; output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=timeout,
        cwd=ROOT,
    )
