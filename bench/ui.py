"""Window benchmark at 100,000 and 500,000 tracks: start-up, typing, scrolling, memory (prints).

    .venv/bin/python bench/ui.py [--tracks 100000,500000] [--real-files 500000]
        [--library DIR] [--no-busy] [--xvfb] [--parts]

Each size gets a data folder with a library and a full-size radio model (untrained weights: a
trained model of the same shape costs the same memory). Up to ``--real-files`` tracks the library
is real: 1-second tagged FLAC clips (20 KB each: 9.6 GB and about 3 minutes to write at 500,000),
scanned by ``segue scan``; above it, rows go straight into the SQLite database and every path is
a hard link to one real clip (so radio can play them).
``--library DIR`` keeps the data there and reuses it on the next run.

A fresh interpreter (offscreen Qt, or Xvfb with ``--xvfb``) then starts as ``segue --radio``
does, from the entry point's imports, with a busy-loop process beside it until the window is
shown, and measures: window shown (torch not imported yet), library in the table, RSS at each
step and once the radio model is loaded and radio plays, real key presses in the search box at
human speed (each timed until the table has repainted; a key whose result is never painted, or
painted out of order, is counted), and PageDown from the first row to the last.
``--parts`` adds what each part of the memory costs, measured one step at a time, and the
window's memory with the library and the browser but no radio (the player's side).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.* and tests.audio when run as a file

from bench.ui_child import main as child_main  # noqa: E402
from bench.ui_child import memory_parts, window_memory  # noqa: E402

WORDS = (
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
)
FIRST = (
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
)
LAST = (
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
)
GENRES = ("Jazz", "Rock", "Electronic", "Soul", "Folk", "Hip-Hop", "Classical", "Ambient")


def track_fields(n: int, seed: int = 7) -> list[dict[str, object]]:
    """Tags of ``n`` tracks: albums of 10, artists of 5 albums, titles of 1-4 words."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        album_no, track_no = divmod(i, 10)
        artist_no = album_no // 5
        artist = f"{FIRST[artist_no % len(FIRST)]} {LAST[artist_no // len(FIRST) % len(LAST)]}"
        if artist_no >= len(FIRST) * len(LAST):
            artist += f" {artist_no}"
        if track_no == 0:
            album = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {album_no}"
        title = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 4)))
        out.append({
            "title": title, "artist": artist, "album": album, "albumartist": artist,
            "tracknumber": track_no + 1, "discnumber": 1, "genre": GENRES[album_no % len(GENRES)],
            "date": 1960 + album_no % 60,
        })  # fmt: skip
    return out


def real_library(data: Path, n: int) -> str:
    """Write ``n`` tagged FLAC clips and scan them with ``segue scan``; returns what it took."""
    from tests.audio import make_audio

    music = data / "music"
    started = time.perf_counter()
    for i, tags in enumerate(track_fields(n)):
        make_audio(music / f"{i // 1000:04d}" / f"{i:06d}.flac", tags=tags)
    generated = time.perf_counter() - started
    scan = [sys.executable, "-m", "player", "scan", str(music), "--data-dir", str(data)]
    took = []
    for _ in range(2):  # the first scan, then an unchanged rescan
        started = time.perf_counter()
        subprocess.run(scan, check=True, capture_output=True, cwd=ROOT)
        took.append(time.perf_counter() - started)
    return (
        f"{n:,} real files generated in {generated:.0f} s; `segue scan` {took[0]:.1f} s "
        f"({n / took[0]:,.0f} files/s), rescan {took[1]:.1f} s"
    )


def rows_library(data: Path, n: int) -> str:
    """Insert ``n`` rows straight into a migrated database; every path a hard link to one clip."""
    from sqlalchemy import insert

    from player.db.engine import open_database
    from player.db.models import Track
    from tests.audio import make_audio

    started = time.perf_counter()
    clips: list[Path] = []
    rng = random.Random(11)
    rows = []
    for i, tags in enumerate(track_fields(n)):
        path = data / "music" / f"{i // 1000:04d}" / f"{i:06d}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        if i % 60_000 == 0:  # a file takes at most 65,000 hard links (ext4)
            clips.append(make_audio(data / f"clip{len(clips)}.flac", tags=None))
        os.link(clips[-1], path)
        rows.append({
            "path": str(path), "size": 1, "mtime": 0.0, "title": tags["title"],
            "artist": tags["artist"], "album_artist": tags["albumartist"], "album": tags["album"],
            "track_number": tags["tracknumber"], "disc_number": 1, "genre": tags["genre"],
            "year": tags["date"], "duration_ms": rng.randint(90_000, 420_000), "codec": "flac",
            "has_embedded_cover": False, "cover_path": None, "available": True, "added_at": 0.0,
        })  # fmt: skip
    db = open_database(data / "library.db")
    with db.session() as s, s.begin():
        for start in range(0, n, 20_000):
            s.execute(insert(Track), rows[start : start + 20_000])
    db.close()
    took = time.perf_counter() - started
    return f"{n:,} rows inserted into SQLite (paths: hard links to one clip) in {took:.0f} s"


def radio_model(data: Path, n: int) -> None:
    """A full-size model over every track id, as radio loads it (prior share small)."""
    import torch

    from recommender.checkpoint import save_recommender
    from recommender.config import ModelConfig
    from recommender.recommender import Recommender

    torch.set_num_threads(1)
    rec = Recommender.untrained(range(1, n + 1), ModelConfig.for_data(60_000, n))
    rec.cursor["sessions_seen"] = 1000
    save_recommender(rec, data / "models")


def prepare(data: Path, n: int, real_limit: int) -> str:
    """Make (or reuse) the data folder for ``n`` tracks; returns how the library was made."""
    note = data / "bench-library.txt"
    if note.exists():
        return note.read_text() + " (reused)"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    made = real_library(data, n) if n <= real_limit else rows_library(data, n)
    radio_model(data, n)
    shutil.copyfile(data / "library.db", data / "pristine.db")
    shutil.copytree(data / "models", data / "pristine-models")
    note.write_text(made)
    return made


def run_child(data: Path, *, busy: bool, xvfb: bool) -> dict[str, object]:
    """Launch the measured window process (a busy loop beside it until the window is shown)."""
    # Each run starts as the first did: no history (a session the last run left would be learned
    # now), no saved queue to resume (radio would wait behind it), the model as it was made.
    shutil.rmtree(data / "state", ignore_errors=True)
    (data / "radio_state.json").unlink(missing_ok=True)
    for name in ("library.db-wal", "library.db-shm"):
        (data / name).unlink(missing_ok=True)
    shutil.copyfile(data / "pristine.db", data / "library.db")
    shutil.rmtree(data / "models")
    shutil.copytree(data / "pristine-models", data / "models")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb" if xvfb else "offscreen"}
    prefix = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"] if xvfb else []
    spin = None
    if busy:
        spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    start = time.time()
    cmd = [*prefix, sys.executable, str(Path(__file__)), "--child", str(data), repr(start)]
    result: dict[str, object] | None = None
    with tempfile.TemporaryFile(mode="w+") as log:  # its stderr (FFmpeg talks a lot)
        child = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=ROOT
        )
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("SHOWN") and spin is not None:
                spin.kill()
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
        child.wait()
        if spin is not None:
            spin.kill()
            spin.wait()
        if result is None:
            log.seek(0)
            tail = log.read()[-3000:]
            raise SystemExit(f"the window process failed (exit {child.returncode}):\n{tail}")
    result["busy"] = busy
    return result


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(r: dict[str, object]) -> None:
    """Print one run's figures."""
    mb = r["rss_mb"]
    assert isinstance(mb, dict)
    print(
        f"  window shown:       {r['shown_s'] * 1000:6.0f} ms after launch, "
        f"{r['shown_cpu_s'] * 1000:.0f} ms of CPU (target < 1000), "  # type: ignore[operator]
        f"busy core beside it: {r['busy']}; imported then: torch {r['torch_at_show']}, "
        f"sqlalchemy {r['sqlalchemy_at_show']}"
    )
    print(f"  library in table:   {r['loaded_s'] * 1000:6.0f} ms ({r['rows']:,} rows)")  # type: ignore[operator]
    print(
        f"  RSS: window shown {mb['shown']:.0f} MB, library in table {mb['loaded']:.0f} MB "
        f"(torch imported: {r['torch_at_loaded']}), radio model loaded and playing "
        f"{mb['ready']:.0f} MB, 5 s later {mb['radio']:.0f} MB (target < 500 at 100,000, "
        f"< 1,000 at 500,000); at the end {mb['end']:.0f} MB"
    )
    print(f"  radio: {r['radio']}; typing and scrolling below with playback paused")
    keys: dict[str, list[float]] = r["keys_ms"]  # type: ignore[assignment]
    every = [ms for times in keys.values() for ms in times]
    print(
        f"  keystroke to repaint: p50 {statistics.median(every):.0f} ms, p90 {pct(every, 0.9):.0f} "
        f"ms, max {max(every):.0f} ms over {len(every)} keys (target p90 < 50); lost "
        f"{r['keys_lost']}, out of order {r['keys_out_of_order']}"
    )
    cpu: list[float] = r["keys_cpu_ms"]  # type: ignore[assignment]
    print(
        f"    the GUI thread's CPU time per key: p50 {statistics.median(cpu):.0f} ms, "
        f"p90 {pct(cpu, 0.9):.0f} ms, max {max(cpu):.0f} ms"
    )
    for word, times in keys.items():
        print(f"    {word!r:10} " + " ".join(f"{ms:.0f}" for ms in times))
    clear: list[float] = r["clear_ms"]  # type: ignore[assignment]
    print(f"  clearing the search (back to every row): max {max(clear):.0f} ms")
    frames: list[float] = r["frames_ms"]  # type: ignore[assignment]
    fps = len(frames) / (sum(frames) / 1000)
    print(
        f"  PageDown from the top to row {r['scrolled_to']:,}: {len(frames):,} frames, "
        f"{fps:.0f} frames/s (target > 50), "
        f"frame p50 {statistics.median(frames):.1f} ms, p99 {pct(frames, 0.99):.1f} ms, "
        f"max {max(frames):.1f} ms"
    )
    busy: list[float] = r["frames_cpu_ms"]  # type: ignore[assignment]
    print(
        f"    CPU time per frame: p50 {statistics.median(busy):.1f} ms, "
        f"p99 {pct(busy, 0.99):.1f} ms ({1000 / statistics.mean(busy):.0f} frames/s of CPU)"
    )
    sorts: dict[str, float] = r["sort_ms"]  # type: ignore[assignment]
    print("  header click to sorted and repainted: " + ", ".join(
        f"{name} {ms:.0f} ms" for name, ms in sorts.items()
    ))  # fmt: skip


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
    """Prepare each size, run the measured window process, print the figures."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(Path(sys.argv[2]), float(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--parts-child":
        memory_parts(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--window-child":
        window_memory(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", default="100000,500000", help="comma-separated sizes")
    parser.add_argument("--real-files", type=int, default=500_000, help="real files up to here")
    parser.add_argument("--library", type=Path, help="keep (and reuse) the data folders here")
    parser.add_argument("--no-busy", action="store_true", help="no busy loop beside start-up")
    parser.add_argument("--xvfb", action="store_true", help="under Xvfb instead of offscreen")
    parser.add_argument("--parts", action="store_true", help="also measure memory by part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="segue-bench-") as tmp:
        base = args.library or Path(tmp)
        for n in (int(s) for s in args.tracks.split(",")):
            data = base / f"tracks-{n}"
            print(f"{n:,} tracks: {prepare(data, n, args.real_files)}", flush=True)
            print(f"  load average {os.getloadavg()[0]:.2f}", flush=True)
            report(run_child(data, busy=not args.no_busy, xvfb=args.xvfb))
            print_browser(run_browser_child(data))
            if args.parts:
                env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
                for child in ("--window-child", "--parts-child"):
                    command = [sys.executable, __file__, child, str(data)]
                    subprocess.run(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
