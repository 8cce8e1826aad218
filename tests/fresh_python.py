"""Run a script in a fresh interpreter with offscreen Qt (start-up, import and D-Bus checks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


def run_on_private_bus(script: str, *args: str, what: str) -> dict[str, Any]:
    """Run ``script`` under ``dbus-run-session`` (offscreen Qt) and return its RESULT dict.

    The script prints one line ``RESULT <json>``. Skips when dbus tools or a private session
    bus are missing, or when the bus refused the MPRIS name (``registered`` false); fails on a
    timeout or a missing result, with the script's stderr.
    """
    runner = shutil.which("dbus-run-session")
    if runner is None or shutil.which("dbus-send") is None:
        pytest.skip("dbus-run-session / dbus-send not installed")
    try:
        result = subprocess.run(
            [runner, "--", sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            timeout=120,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} timed out")
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        if "Failed to" in result.stderr and "dbus" in result.stderr.lower():
            pytest.skip(f"no private session bus: {result.stderr[-300:]}")
        pytest.fail(f"no result; stderr: {result.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    if not out["registered"]:
        pytest.skip("session bus refused the MPRIS name")
    return out
