"""Benchmark: first scan and unchanged rescan of N generated, tagged audio files (prints files/s).

Usage: .venv/bin/python bench/scan.py [--files 10000] [--formats mp3,flac,ogg,opus,m4a]
Files go to a temporary folder (never the repository) and are deleted afterwards.
Targets on a 2-core machine: >= 1,500 files/s first scan, >= 20,000 files/s unchanged rescan.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.audio when run as a file

from player.db.engine import open_database
from player.scanner import scan
from tests.audio import cover_image, make_audio

TRACKS_PER_ALBUM = 10


def generate(root: Path, n: int, formats: list[str]) -> None:
    """Write ``n`` tagged files, 10 per album folder, formats cycling per album."""
    cover = cover_image("jpg")
    for i in range(n):
        album, track = divmod(i, TRACKS_PER_ALBUM)
        fmt = formats[album % len(formats)]
        folder = root / f"Artist {album // 5}" / f"Album {album}"
        tags = {
            "title": f"Song {i}",
            "artist": f"Artist {album // 5}",
            "album": f"Album {album}",
            "albumartist": f"Artist {album // 5}",
            "tracknumber": track + 1,
            "discnumber": 1,
            "genre": "Rock",
            "date": 1990 + album % 30,
        }
        make_audio(folder / f"{track + 1:02d} Song {i}.{fmt}", tags=tags)
        if track == 0 and album % 2 == 0:
            (folder / "cover.jpg").write_bytes(cover)


def main() -> None:
    """Generate, scan twice and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--formats", default="mp3,flac,ogg,opus,m4a")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="segue-bench-") as tmp:
        root = Path(tmp) / "music"
        started = time.perf_counter()
        generate(root, args.files, args.formats.split(","))
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f} s")
        db = open_database(Path(tmp) / "library.db")
        started = time.perf_counter()
        first = scan(db, [root])
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = scan(db, [root])
        again_s = time.perf_counter() - started
        db.close()
    print(
        f"first scan: {first.added} added, {len(first.failed)} failed in {first_s:.2f} s "
        f"= {args.files / first_s:,.0f} files/s (target >= 1,500)"
    )
    print(
        f"unchanged rescan: {again.unchanged} unchanged in {again_s:.3f} s "
        f"= {args.files / again_s:,.0f} files/s (target >= 20,000)"
    )


if __name__ == "__main__":
    main()
