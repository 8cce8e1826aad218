"""``segue-recommender radio --preview``: what radio would play next, from a terminal."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

from player.albums import seed_order, seed_tracks
from player.plugin_api import TrackInfo, recent_window
from recommender.player_data import open_player_data, plugin_context
from recommender.plugin import RecommenderPlugin

log = logging.getLogger(__name__)


def add_command(subparsers: Any) -> None:
    """Add ``radio`` to the ``segue-recommender`` sub-command parser."""
    radio = subparsers.add_parser("radio", help="show the next picks radio would make")
    radio.add_argument("--preview", type=int, required=True, metavar="N", help="picks to show")
    seed = radio.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=Path, default=None, metavar="PATH",
                      help="start from this file (default: where radio stands)")  # fmt: skip
    seed.add_argument("--seed-album", default=None, metavar="NAME",
                      help="start from this album (its tracks, in order)")  # fmt: skip
    seed.add_argument("--seed-artist", default=None, metavar="NAME",
                      help="start from this artist's tracks")  # fmt: skip
    radio.add_argument("--data-dir", type=Path, default=None, help="Segue's data folder")
    radio.add_argument("--json", action="store_true", help="print a JSON list")
    radio.set_defaults(func=run_radio)


def run_radio(args: argparse.Namespace) -> int:
    """Print the next ``--preview`` picks without playing (each assumed heard to the end)."""
    if args.preview <= 0:
        print("error: --preview needs a positive number", file=sys.stderr)
        return 2
    data_dir, db, history = open_player_data(args.data_dir)  # errors: see recommender.cli.main
    try:
        plugin = RecommenderPlugin()
        context = plugin_context(data_dir, db, history)
        library = {t.track_id: t for t in context.load_library()}
        if not library:
            print("The library is empty: run `segue scan DIR` first.", file=sys.stderr)
            return 1
        plugin.load(context)
        plugin.train(history.closed_sessions_since(0), full=False)  # as the app's first job
        seed = _seed(library.values(), args)
        if seed is not None and not seed:
            what = args.seed or args.seed_album or args.seed_artist
            print(f"{what} is not in the library", file=sys.stderr)
            return 1
        if seed:
            # as the window does: the first track plays, the rest of the seed leads up to it
            plugin.start_from(seed_order(seed))
        elif plugin.memory.last_track is None and (last := history.recent_track_ids(1)):
            plugin.set_option("seed_track", float(last[0]))  # as radio does: the last played
        window = recent_window(sum(1 for t in library.values() if t.available))
        exclude = frozenset(history.recent_track_ids(window)) if window else frozenset()
        exclude |= frozenset(seed[:1] if seed else ())  # the seed's first track plays first
        picks = [slot[0] for slot in plugin.suggest(args.preview, exclude)]
        rows = [_row(library[s.track_id], s.probability, s.reason) for s in picks]
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            _print_table(rows)
        return 0
    finally:
        db.close()


def _seed(tracks: Collection[TrackInfo], args: argparse.Namespace) -> list[int] | None:
    """The seed's track ids, the one that plays first first; None without a seed."""
    if args.seed is not None:
        wanted = {str(args.seed), str(args.seed.expanduser().resolve())}
        return [t.track_id for t in tracks if t.path in wanted][:1]
    if args.seed_album is not None:
        return [t.track_id for t in seed_tracks(tracks, album=args.seed_album)]
    if args.seed_artist is not None:
        return [t.track_id for t in seed_tracks(tracks, artist=args.seed_artist)]
    return None


def _row(track: TrackInfo, probability: float, reason: str) -> dict[str, Any]:
    return {
        "track_id": track.track_id,
        "path": track.path,
        "artist": track.artist,
        "title": track.title,
        "album": track.album,
        "probability": round(probability, 6),
        "why": reason,
    }


def _print_table(rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows, start=1):
        print(f"{i:3d}. {row['probability']:7.2%}  {_label(row)}  ({row['why']})")


def _label(row: dict[str, Any]) -> str:
    """``artist — title  [album]``; an untagged track shows its file name, no empty parts."""
    title = row["title"] or os.path.basename(row["path"])
    text = f"{row['artist']} — {title}" if row["artist"] else title
    return f"{text}  [{row['album']}]" if row["album"] else text
