"""Window benchmark at 100,000 tracks: start-up to window shown, library load, per-keystroke
search time, and RSS; prints figures (run: ``.venv/bin/python bench/ui.py``).

A temporary database gets N tracks by bulk insert (no audio files needed). A fresh interpreter
(offscreen Qt) then measures, from its own process start, when the window is shown and when the
table holds the library, types a search one key at a time, and reports its memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "blue",
    "green",
    "night",
    "city",
    "river",
    "fire",
    "love",
    "dream",
    "shadow",
    "light",
    "summer",
    "winter",
    "golden",
    "silver",
    "electric",
    "velvet",
    "broken",
    "heart",
    "ocean",
    "desert",
    "midnight",
    "morning",
    "thunder",
    "rain",
    "stone",
    "glass",
    "echo",
    "wild",
    "quiet",
    "paper",
    "neon",
    "crystal",
    "hollow",
    "northern",
    "southern",
    "lonely",
    "secret",
]
FIRST = [
    "Miles",
    "John",
    "Nina",
    "Aretha",
    "Thom",
    "Bjork",
    "Kate",
    "Leonard",
    "Joni",
    "Marvin",
    "Ella",
    "Frank",
    "Patti",
]
LAST = [
    "Davis",
    "Coltrane",
    "Simone",
    "Franklin",
    "Yorke",
    "Bush",
    "Cohen",
    "Mitchell",
    "Gaye",
    "Fitzgerald",
    "Ocean",
]
GENRES = ("Jazz", "Rock", "Electronic", "Soul", "Folk", "Hip-Hop", "Classical", "Ambient")


def build_db(data_dir: Path, n: int, seed: int = 7) -> None:
    """Create a migrated database with ``n`` tracks (albums of 10, artists of 5 albums)."""
    from sqlalchemy import insert

    from player.db.engine import open_database
    from player.db.models import Track

    rng = random.Random(seed)
    db = open_database(data_dir / "library.db")
    rows = []
    for i in range(n):
        album_no, track_no = divmod(i, 10)
        artist_no = album_no // 5
        artist = f"{FIRST[artist_no % len(FIRST)]} {LAST[artist_no // len(FIRST) % len(LAST)]}"
        if artist_no >= len(FIRST) * len(LAST):
            artist += f" {artist_no}"
        rng_title = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 4)))
        if track_no == 0:  # one title per album (each track had its own: 100,000 albums)
            album = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {album_no}"
        rows.append(
            {
                "path": f"/bench/music/{artist}/{album}/{track_no + 1:02d}.flac",
                "size": 1,
                "mtime": 0.0,
                "title": rng_title,
                "artist": artist,
                "album_artist": artist,
                "album": album,
                "track_number": track_no + 1,
                "disc_number": 1,
                "genre": GENRES[album_no % len(GENRES)],
                "year": 1960 + album_no % 60,
                "duration_ms": rng.randint(90_000, 420_000),
                "codec": "flac",
                "has_embedded_cover": False,
                "cover_path": None,
                "available": rng.random() > 0.01,
                "added_at": 0.0,
            }
        )
    with db.session() as s, s.begin():
        s.execute(insert(Track), rows)
    db.close()


CHILD = r"""
import json, os, statistics, sys, time
T0 = float(sys.argv[2])
from pathlib import Path
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
from player.app import attach_database, build_window
from player.paths import AppPaths

app = QApplication([])
paths = AppPaths.resolve(sys.argv[1])
paths.ensure()
parts = build_window(paths)  # the same two steps as player.app.run_app
window = parts.window
window.show()
app.processEvents()
shown = time.time() - T0
torch_at_show = "torch" in sys.modules
from player.db.engine import open_database
attach_database(parts, open_database(paths.db_path))
loaded = []
wait = QEventLoop()
window.library_loaded.connect(lambda rows: (loaded.append(time.time() - T0), wait.quit()))
window.start()
wait.exec()  # not a busy loop: the loading thread gets the CPU (and the GIL)
app.processEvents()
rows = window.model.rowCount()

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

rss = rss_mb()
per_key = {}
filter_only = []
for query in ("miles davis", "blue night", "zzz"):
    times = []
    for i in range(1, len(query) + 1):
        t = time.perf_counter()
        window.model.set_search(query[:i])
        window.proxy.rowCount()
        filter_only.append((time.perf_counter() - t) * 1000)
        app.processEvents()  # the view lays out and repaints its visible rows
        times.append((time.perf_counter() - t) * 1000)
    per_key[query] = times
    window.model.set_search("")
sort_t = time.perf_counter()
header = window.table.horizontalHeader()
header.setSortIndicator(1, header.sortIndicatorOrder())  # a click on "Artist"
app.processEvents()
sort_ms = (time.perf_counter() - sort_t) * 1000
parts.shutdown()
parts.dispose()
print("RESULT " + json.dumps({
    "shown_s": shown, "loaded_s": loaded[0], "rows": rows, "rss_mb": rss,
    "per_key_ms": per_key, "filter_only_ms": filter_only, "sort_ms": sort_ms,
    "torch_at_show": torch_at_show,
    "torch_at_end": "torch" in sys.modules,
}))
"""


def run_child(data_dir: Path) -> dict[str, object]:
    """Start the window in a fresh interpreter and collect its figures."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.time()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), repr(start)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
    )
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise SystemExit(f"child failed:\n{result.stderr[-3000:]}")


BROWSER_CHILD = r"""
import json, statistics, sys, time
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
from player.app import attach_database, build_window
from player.db.engine import open_database
from player.paths import AppPaths
from player.ui.browser_index import build_index

app = QApplication([])
paths = AppPaths.resolve(sys.argv[1])
parts = build_window(paths)
window, browser = parts.window, parts.window.browser
window.show()
attach_database(parts, open_database(paths.db_path))
wait = QEventLoop()
browser.tree_model.modelReset.connect(
    lambda: browser.tree_model.rowCount() > 1 and wait.quit()
)
t0 = time.perf_counter()
window.start()
wait.exec()  # rows loaded, then the browser's lists built on a worker
lists_s = time.perf_counter() - t0
t = time.perf_counter()
build_index(window.model.rows())
build_ms = (time.perf_counter() - t) * 1000
tree, model = browser.tree, browser.tree_model
artists = [model.index(r, 0) for r in range(1, model.rowCount(), 97)]
choices = {"album": [], "artist": [], "all": [], "album + search": []}

def choose(index):
    t = time.perf_counter()
    tree.setCurrentIndex(index)  # as a click does: the table narrows
    window.proxy.rowCount()
    filtered = (time.perf_counter() - t) * 1000
    app.processEvents()  # the views lay out and repaint
    return filtered, (time.perf_counter() - t) * 1000

for artist in artists:
    choices["artist"].append(choose(artist))
    choices["album"].append(choose(model.index(0, 0, artist)))
    choices["all"].append(choose(model.index(0, 0)))
window.model.set_search("blue")
for artist in artists:
    choices["album + search"].append(choose(model.index(0, 0, artist)))
    choose(model.index(0, 0))
parts.shutdown()
parts.dispose()
print("RESULT " + json.dumps({
    "lists_s": lists_s, "build_ms": build_ms, "artists": model.rowCount() - 1,
    "albums": len(model.browse_index.albums), "choose_ms": choices,
}))
"""


def run_browser_child(data_dir: Path) -> dict[str, object]:
    """Choose artists, albums and "All" in the browser of a window holding the library."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", BROWSER_CHILD, str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
    )
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise SystemExit(f"browser child failed:\n{result.stderr[-3000:]}")


def print_browser(r: dict[str, object]) -> None:
    """The browser's figures: lists built, and a choice narrowing the table."""
    print(
        f"browser lists: {r['artists']:,} artists, {r['albums']:,} albums; load + build "
        f"{r['lists_s'] * 1000:.0f} ms, of which the build (worker thread) {r['build_ms']:.0f} ms"
    )
    choices: dict[str, list[list[float]]] = r["choose_ms"]  # type: ignore[assignment]
    print(
        "  choosing an entry (target < 50 ms), filter only / with the views' relayout and repaint:"
    )
    for what, pairs in choices.items():
        only, total = [p[0] for p in pairs], [p[1] for p in pairs]
        print(
            f"  {what:15} median {statistics.median(only):5.1f} / {statistics.median(total):5.1f} "
            f"ms, max {max(only):5.1f} / {max(total):5.1f} ms  ({len(pairs)} choices)"
        )


def main() -> None:
    """Build the database, run the measured child, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="segue-bench-") as tmp:
        data = Path(tmp)
        t = time.perf_counter()
        build_db(data, args.tracks)
        print(f"bulk insert of {args.tracks:,} tracks: {time.perf_counter() - t:.1f} s")
        r = run_child(data)
        browser = run_browser_child(data)
    keys: dict[str, list[float]] = r["per_key_ms"]  # type: ignore[assignment]
    every = [ms for times in keys.values() for ms in times]
    print(f"process start -> window shown:      {r['shown_s'] * 1000:7.0f} ms  (target < 1000)")
    print(
        f"process start -> library in table:  {r['loaded_s'] * 1000:7.0f} ms  ({r['rows']:,} rows)"
    )
    print(
        f"search per keystroke: median {statistics.median(every):.0f} ms, "
        f"p90 {sorted(every)[int(len(every) * 0.9)]:.0f} ms, max {max(every):.0f} ms "
        "(target < 50; the window also debounces typing by 120 ms)"
    )
    only: list[float] = r["filter_only_ms"]  # type: ignore[assignment]
    print(
        f"  of which model filtering: median {statistics.median(only):.0f} ms, "
        f"max {max(only):.0f} ms (the rest is the view's relayout and repaint)"
    )
    for query, times in keys.items():
        print(f"  {query!r:14} " + " ".join(f"{ms:.0f}" for ms in times))
    print(f"sort by artist: {r['sort_ms']:.0f} ms")
    print(f"RSS after load: {r['rss_mb']:.0f} MB")
    print(f"torch imported: at show {r['torch_at_show']}, at end {r['torch_at_end']}")
    print_browser(browser)


if __name__ == "__main__":
    main()
