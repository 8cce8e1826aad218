"""Benchmark: import a 100,000-entry Last.fm export against a 100,000-track library (entries/s).

Usage: .venv/bin/python bench/import.py [--tracks 100000] [--entries 100000]
The library is written straight into a real SQLite database (no audio files); the export names
library tracks in nine entries of ten, with case, accents, featured artists and version parts
varied, and one in ten by artists the library does not have. Everything lives in a temporary
folder. Target: under 30 s on one core, matched and stored.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.db.engine import open_database
from player.history_import.store import import_history

VARIANTS = ("{}", "{} - 2011 Remaster", "{} (feat. Somebody)", "{} (Live)")


def build_library(path: Path, n: int) -> list[tuple[str, str]]:
    """Write ``n`` tracks (20 per album, 5 albums per artist); returns (artist, title) of each."""
    db = open_database(path)
    rows = []
    with db.engine.begin() as connection:
        raw = connection.connection.driver_connection
        for i in range(n):
            artist, album = f"Artist {i // 100} Ünïcode", f"Album {i // 20}"
            title = f"Song {i} of Mine" if i % 50 else f"Song {i} (Live)"
            rows.append((artist, title))
            raw.execute(
                "INSERT INTO tracks (path, size, mtime, title, artist, album_artist, album, genre,"
                " codec, has_embedded_cover, available, added_at, duration_ms)"
                " VALUES (?, 0, 0, ?, ?, '', ?, '', 'mp3', 0, 1, 0, ?)",
                (f"/music/{album}/{i}.mp3", title, artist, album, 180_000 + i % 60_000),
            )
    db.close()
    return rows


def write_export(path: Path, library: list[tuple[str, str]], n: int, rng: random.Random) -> None:
    """A Last.fm CSV (newest first, as Last.fm writes it), one play every ~4 minutes."""
    at = 1_500_000_000 + n * 240
    with path.open("w", encoding="utf-8") as out:
        out.write("uts,artist,album,track\n")
        for i in range(n):
            at -= rng.choice((200, 240, 260, 4000))
            if i % 10 == 9:
                artist, title = f"Stranger {rng.randrange(5000)}", f"Tune {i}"
            else:
                artist, title = rng.choice(library)
                artist = artist.upper() if i % 3 else artist.replace("Ü", "U")
                if "(Live)" not in title:
                    title = rng.choice(VARIANTS).format(title)
            out.write(f'{at},"{artist}",,"{title}"\n')


def main() -> None:
    """Build, import once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(24)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        library = build_library(folder / "library.db", args.tracks)
        write_export(folder / "scrobbles.csv", library, args.entries, rng)
        print(f"library of {args.tracks:,} tracks and export of {args.entries:,} entries built "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        db = open_database(folder / "library.db")
        started, cpu = time.perf_counter(), time.process_time()
        summary, stage = import_history(db, [folder / "scrobbles.csv"])
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        stage.close()
        again_started = time.perf_counter()
        again, stage = import_history(db, [folder / "scrobbles.csv"])
        again_took = time.perf_counter() - again_started
        stage.close()
        db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {took:.1f} s ({cpu:.1f} s of CPU), {summary.entries / took:,.0f} entries/s "
          f"(matched {summary.matched:,}, {summary.weaker:,} weaker; unmatched "
          f"{summary.unmatched:,}; plays added {summary.plays_added:,})")  # fmt: skip
    print(f"the same export again: {again_took:.1f} s, {again.duplicate:,} duplicates, "
          f"{again.plays_added} plays added")  # fmt: skip
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
