"""Playlists at size: import and export of a 100,000-entry M3U8 against a 100,000-track library,
attaching after a "scan", reading a 50 MB file of junk lines; prints times and peak RSS (run:
``.venv/bin/python bench/playlists.py``).

Tracks are bulk-inserted (no audio files needed). Half of the playlist's entries name library
paths; half name old paths of moved files, attached by title, artist and duration: at import
for one quarter, after the "scan" (which makes the other quarter's tracks available) for the rest.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, update

from player.db.engine import open_database
from player.db.models import Track
from player.playlists.attach import attach_entries
from player.playlists.formats import PlaylistReader
from player.playlists.import_export import export_playlist, import_playlist


def peak_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - start:.2f} s (peak RSS {peak_mb():.0f} MB)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    n = args.entries
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        db = open_database(root / "library.db")
        rows = [
            {"path": f"/music/{i % 500}/{i:06d}.mp3", "title": f"Song {i}", "artist": f"A{i % 500}",
             "duration_ms": 180_000 + i % 1000, "available": i % 4 != 3}
            for i in range(n)
        ]  # fmt: skip
        with db.session() as s, s.begin():
            s.execute(insert(Track), rows)
        listing = root / "big.m3u8"
        with listing.open("w") as out:
            out.write("#EXTM3U\n")
            for i in range(n):
                moved = i % 4 == 2
                out.write(f"#EXTINF:180,A{i % 500} - Song {i}\n")
                out.write(
                    f"/old/{i}.mp3\n" if moved or i % 4 == 3 else f"/music/{i % 500}/{i:06d}.mp3\n"
                )
        print(f"{n:,} entries, {listing.stat().st_size / 1e6:.1f} MB; {n:,} tracks in the library")
        report = timed("import", lambda: import_playlist(db, listing))
        info = report.playlist
        print(f"  {info.entries:,} entries, {info.missing:,} missing")
        with db.session() as s, s.begin():  # a scan finds the missing quarter
            s.execute(update(Track).values(available=True))
        attached = timed("attach after a scan", lambda: attach_entries(db))
        print(f"  {attached:,} attached by their tags")
        timed("export .m3u8", lambda: export_playlist(db, info.name, root / "out.m3u8"))
        timed("export .xspf", lambda: export_playlist(db, info.name, root / "out.xspf"))
        junk = root / "junk.m3u"
        block = b"\x01\x02 not a path\n" * 1000 + b"y" * 9000 + b"\n"
        with junk.open("wb") as out:
            while out.tell() < 50 << 20:
                out.write(block * 100)
        reader = PlaylistReader(junk)
        timed("read 50 MB of junk lines", lambda: sum(1 for _ in reader))
        print(f"  {reader.problems.total:,} problems, {len(reader.problems.kept)} kept with text")
        db.close()


if __name__ == "__main__":
    main()
