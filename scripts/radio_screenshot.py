"""Makes docs/radio-queue.png: the window after ten radio plays (run under ``xvfb-run -a``).

    PYTHONPATH=. xvfb-run -a dbus-run-session -- .venv/bin/python scripts/radio_screenshot.py \\
        /tmp/segue-shot docs/radio-queue.png
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from player.app import attach_radio, build_player
from player.db.engine import open_database
from player.paths import AppPaths
from player.scanner import scan
from tests.audio import make_audio

ALBUMS = {
    ("The Quiet Harbour", "Northern Lights"): [
        "Low Tide", "Lanterns on the Water", "A Long Way North", "Salt and Cedar",
        "The Lighthouse Keeper's Daughter Comes Home at Last", "Morning Ferry",
    ],
    ("Ana Sol", "Été indien"): ["Été indien", "Les dunes", "Sous la pluie d'août", "Café du port",
                                "Minuit"],
    ("Orchestra Lumen", "Symphony No. 2"): [
        "I. Allegro ma non troppo", "II. Andante", "III. Scherzo: Presto", "IV. Finale",
    ],
    ("Kestrel", "Open Country"): ["Hawk Over Fields", "Dust Road", "Open Country", "Barn Dance",
                                  "Last Light"],
}  # fmt: skip


def main(root: Path, out: Path) -> None:
    """Build a small library under ``root``, play ten tracks with radio on, save ``out``."""
    torch.set_num_threads(1)
    music = root / "music"
    if not music.exists():
        for (artist, album), titles in ALBUMS.items():
            for n, title in enumerate(titles, 1):
                tags = {"title": title, "artist": artist, "albumartist": artist, "album": album,
                        "tracknumber": n, "genre": "Jazz", "date": 2019}  # fmt: skip
                make_audio(music / artist / album / f"{n:02d} {title}.ogg", seconds=1.5, tags=tags)
    app = QApplication([])
    paths = AppPaths.resolve(str(root / "data"))
    paths.ensure()
    db = open_database(paths.db_path)
    scan(db, [music])
    parts = build_player(paths, db)
    wiring = attach_radio(parts, paths.data_dir, discover=True)
    window = parts.window
    window.resize(1280, 760)
    window.show()

    def wait(done: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    loaded: list[object] = []
    window.library_loaded.connect(loaded.append)
    window.start([])
    wait(lambda: bool(loaded))
    started: list[object] = []
    assert parts.tracker is not None
    parts.tracker.track_started.connect(started.append)
    parts.controller.play_through([sorted(window.model.rows(), key=lambda r: r.path)[0]])
    window.radio_action.setChecked(True)
    while len(started) < 11:  # the first track, then ten radio plays; every third is skipped
        n = len(started)
        wait(lambda n=n: len(started) > n and len(parts.queue.upcoming()) >= 2, 30)
        if len(started) < 11 and len(started) % 3 == 0:
            wait(lambda: parts.playback.position_ms > 400, 5)
            parts.controller.next()
    wait(lambda: len(parts.queue.upcoming()) >= 2, 10)
    wait(lambda: False, 0.5)
    window.grab().save(str(out))
    parts.shutdown()
    wiring.shutdown()
    parts.dispose()
    db.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
