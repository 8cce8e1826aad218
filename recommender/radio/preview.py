"""``segue-recommender train`` and ``segue-recommender radio --preview``: the radio from a terminal.

Both read the player's library and history. ``player.paths``, ``player.db``, ``player.library``
and ``player.history`` are imported inside the command functions only: they pull SQLAlchemy,
and the recommender package must stay importable without it (a test checks that importing
``recommender.plugin`` loads neither PySide6 nor SQLAlchemy).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from player.plugin_api import PluginContext, TrackInfo, TrainProgress, recent_window
from recommender.plugin import RecommenderPlugin

if TYPE_CHECKING:
    from player.db.engine import Database
    from player.history import History

log = logging.getLogger(__name__)

_BAR_WIDTH = 30


def add_commands(subparsers: Any) -> None:
    """Add ``train`` and ``radio`` to the ``segue-recommender`` sub-command parser."""
    train = subparsers.add_parser("train", help="train the radio's model on your listening history")
    train.add_argument("--data-dir", type=Path, default=None, help="Segue's data folder")
    train.add_argument(
        "--full", action="store_true", help="retrain from all history instead of new sessions"
    )
    train.set_defaults(func=run_train)

    radio = subparsers.add_parser("radio", help="show the next picks radio would make")
    radio.add_argument("--preview", type=int, required=True, metavar="N", help="picks to show")
    radio.add_argument("--seed", type=Path, default=None, metavar="PATH",
                       help="continue from this file (default: where radio stands)")  # fmt: skip
    radio.add_argument("--data-dir", type=Path, default=None, help="Segue's data folder")
    radio.add_argument("--json", action="store_true", help="print a JSON list")
    radio.set_defaults(func=run_radio)


def _open(data_dir: Path | None) -> tuple[Path, Database, History]:
    # Lazy: the player's database layer pulls SQLAlchemy (see the module docstring).
    from player.db.engine import open_database
    from player.history import History
    from player.paths import AppPaths

    paths = AppPaths.resolve(data_dir)
    paths.ensure()
    db = open_database(paths.db_path)
    if db.notice:
        print(db.notice, file=sys.stderr)
    return paths.data_dir, db, History(db)


def _context(
    data_dir: Path, db: Database, history: History, stop: threading.Event | None = None
) -> PluginContext:
    from player.library import track_infos  # lazy: SQLAlchemy (see the module docstring)

    return PluginContext(
        data_dir=data_dir,
        load_library=lambda: track_infos(db),
        load_sessions=lambda: history.closed_sessions_since(0),
        should_stop=(stop or threading.Event()).is_set,
    )


class _Bar:
    """A one-line terminal progress bar on stderr."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, progress: TrainProgress) -> None:
        share = progress.done / progress.total if progress.total else 0.0
        filled = int(share * _BAR_WIDTH)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r[{bar}] {share:6.1%} {elapsed:6.1f}s {progress.message[:40]:<40}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


def run_train(args: argparse.Namespace) -> int:
    """Train (``--full``: from scratch on all history; else only sessions not yet learned)."""
    data_dir, db, history = _open(args.data_dir)
    try:
        sessions = history.closed_sessions_since(0)
        if not sessions:
            print("No closed listening sessions yet: nothing to train on (radio uses the "
                  "library's structure until then).")  # fmt: skip
            return 0
        plugin = RecommenderPlugin()
        stop = threading.Event()
        plugin.load(_context(data_dir, db, history, stop))
        bar = _Bar()
        full = args.full or plugin.model is None
        try:
            plugin.train(sessions, full=full, progress=bar)
        except KeyboardInterrupt:
            stop.set()
            bar.close()
            print("Cancelled; the previous model is kept.", file=sys.stderr)
            return 130
        bar.close()
        plugin.save_state()
        model = plugin.model
        tracks = len(model.vocab) - 1 if model is not None else 0
        print(f"{'Full' if full else 'Incremental'} training done: {len(sessions)} sessions, "
              f"{tracks} tracks, checkpoint in {plugin.models_dir}")  # fmt: skip
        return 0
    finally:
        db.close()


def run_radio(args: argparse.Namespace) -> int:
    """Print the next ``--preview`` picks without playing (each assumed heard to the end)."""
    if args.preview <= 0:
        print("--preview needs a positive number", file=sys.stderr)
        return 2
    data_dir, db, history = _open(args.data_dir)
    try:
        plugin = RecommenderPlugin()
        context = _context(data_dir, db, history)
        library = {t.track_id: t for t in context.load_library()}
        if not library:
            print("The library is empty: run `segue scan DIR` first.", file=sys.stderr)
            return 1
        plugin.load(context)
        plugin.train(history.closed_sessions_since(0), full=False)  # as the app's first job
        if args.seed is not None:
            seed = _find(library.values(), args.seed)
            if seed is None:
                print(f"{args.seed} is not in the library", file=sys.stderr)
                return 1
            plugin.set_option("seed_track", float(seed.track_id))
        elif plugin.memory.last_track is None and (last := history.recent_track_ids(1)):
            plugin.set_option("seed_track", float(last[0]))  # as radio does: the last played
        window = recent_window(sum(1 for t in library.values() if t.available))
        exclude = frozenset(history.recent_track_ids(window)) if window else frozenset()
        picks = [slot[0] for slot in plugin.suggest(args.preview, exclude)]
        rows = [_row(library[s.track_id], s.probability, s.reason) for s in picks]
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            _print_table(rows)
        return 0
    finally:
        db.close()


def _find(tracks: Sequence[TrackInfo] | Any, path: Path) -> TrackInfo | None:
    wanted = {str(path), str(path.expanduser().resolve())}
    return next((t for t in tracks if t.path in wanted), None)


def _row(track: TrackInfo, probability: float, reason: str) -> dict[str, Any]:
    return {
        "track_id": track.track_id,
        "path": track.path,
        "artist": track.artist,
        "title": track.title,
        "album": track.album,
        "probability": round(probability, 6),
        "reason": reason,
    }


def _print_table(rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows, start=1):
        print(f"{i:3d}. {row['probability']:7.2%}  {row['artist']} — {row['title']}"
              f"  [{row['album']}]  ({row['reason']})")  # fmt: skip
