"""Benchmark: a 10,000-file copy into a watched music folder while a real window runs; prints
the worst GUI-thread stall and how long until every file is in the library.

Usage: .venv/bin/python bench/watch.py [--files 10000] [--library 0]
The files are generated and tagged first (not timed), then copied in one ``cp -r`` (another
process, as a file manager would) into the folder the window watches. A QTimer ticking every
10 ms on the GUI thread measures the gaps between its ticks: a gap well above 10 ms is a stall.
``--library N`` first fills the database with N other tracks (the table then holds N + files).
Everything lives in a temporary folder and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for bench/ and tests/ as a file

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from bench.scan import generate
from bench.ui import build_db
from player.app import attach_database, build_window
from player.db.engine import open_database
from player.paths import AppPaths

TICK_MS = 10


def main() -> None:
    """Generate, copy while the window watches, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--library", type=int, default=0, help="tracks already in the library")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="segue-bench-") as tmp:
        staging, music = Path(tmp) / "staging", Path(tmp) / "music"
        music.mkdir()
        started = time.perf_counter()
        generate(staging, args.files, ["mp3", "ogg"])
        print(f"generated {args.files:,} files in {time.perf_counter() - started:.1f} s")
        paths = AppPaths.resolve(Path(tmp) / "data")
        paths.ensure()
        if args.library:
            build_db(paths.data_dir, args.library)
        run(paths, staging, music, args.files + args.library, args.timeout)


def run(paths: AppPaths, staging: Path, music: Path, expected: int, timeout_s: float) -> None:
    """Open the window on ``paths``, watch ``music``, copy ``staging`` in, measure."""
    app = QApplication.instance() or QApplication([])
    parts = build_window(paths)
    parts.store.set_music_folders([music])
    parts.window.show()
    attach_database(parts, open_database(paths.db_path))
    window, watcher = parts.window, parts.watcher
    assert watcher is not None
    ready: list[bool] = []
    watcher.watching.connect(lambda _folders: ready.append(True))
    window.start()
    deadline = time.monotonic() + 60
    while not ready and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    if not ready:
        raise SystemExit("the folder was not watched within a minute")
    while window.scan_job.running:  # the start-up rescan of the (empty) folder
        app.processEvents()
        time.sleep(0.005)
    gaps: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer(interval=TICK_MS)

    def tick() -> None:
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    scans: list[object] = []
    window.library_scanned.connect(scans.append)
    clock.start()
    ticker.timeout.connect(tick)
    ticker.start()
    t0 = time.perf_counter()
    copy = subprocess.Popen(["cp", "-r", f"{staging}/.", str(music)])
    marks: dict[str, float] = {}

    def check() -> None:
        if "copied" not in marks and copy.poll() is not None:
            marks["copied"] = time.perf_counter() - t0
        if "copied" in marks and window.model.rowCount() >= expected:
            marks["done"] = time.perf_counter() - t0
            app.quit()

    checker = QTimer(interval=50)
    checker.timeout.connect(check)
    checker.start()
    QTimer.singleShot(round(timeout_s * 1000), app.quit)
    app.exec()
    checker.stop()
    copied_at, done_at = marks.get("copied"), marks.get("done")
    ticker.stop()
    rows = window.model.rowCount()
    parts.shutdown()
    parts.dispose()
    stalls = sorted(gaps)
    print(f"copy (cp -r, another process) took {copied_at or float('nan'):.1f} s")
    if done_at is None:
        print(f"NOT all in the library after {timeout_s:.0f} s: {rows:,} of {expected:,} rows")
    else:
        print(f"all {rows:,} tracks in the library {done_at:.1f} s after the copy began")
    print(f"watcher scans: {len(scans)}")
    print(
        f"GUI thread, gap between {TICK_MS} ms ticks: median {stalls[len(stalls) // 2]:.1f} ms, "
        f"p99 {stalls[int(len(stalls) * 0.99)]:.1f} ms, worst {stalls[-1]:.1f} ms "
        f"({len(stalls):,} ticks)"
    )


if __name__ == "__main__":
    main()
