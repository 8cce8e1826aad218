"""Seeded radio on single-listener histories: does radio started from a track play what follows?

For each person of the personal development set (``/work/shared/data/personal-dev``): the
recommender plugin is trained on ``{who}.train.txt`` (the library is ``{who}.items.tsv``: artist,
album, title); then for every test session, radio is started from the session's first track
(:meth:`RecommenderPlugin.start_from`, from a fresh state) and draws its first 20 picks as radio
does (mixture with the library prior, variety mask learned from the train sessions, reasons).
The figure is the share of the session's real next 5 tracks found among those 20 picks, against
the same with the library's structure alone (the plugin before any model: the prior).

    .venv/bin/python bench/seeded.py [--who dudu,djivs,cosmo,mattgath] [--picks 20] [--next 5]
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from player.plugin_api import Origin, Outcome, PlayRecord, PluginContext, SessionRecord, TrackInfo
from recommender.plugin import RecommenderPlugin
from recommender.radio.memory import RadioMemory
from recommender.radio.state import initial_state

DATA = Path(os.environ.get("SEGUE_PERSONAL", "/work/shared/data/personal-dev"))


def library(who: str) -> list[TrackInfo]:
    """The person's items as a tagged library (no track numbers: album order is unknown)."""
    with (DATA / f"{who}.items.tsv").open(encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return [
            TrackInfo(int(r["ItemId"]), f"/{r['ItemId']}", r["Title"], r["Artist"], "", r["Album"])
            for r in rows
        ]


def sessions(path: Path, first_id: int = 1) -> list[SessionRecord]:
    """Sessions of a ``.txt`` file as the player would hand them over (the listener's plays)."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        items = [int(t) for t in line.split()]
        plays = tuple(
            PlayRecord(t, Outcome.FINISHED, 1, Origin.USER, float(i * 10_000 + j), 1)
            for j, t in enumerate(items)
        )
        out.append(SessionRecord(first_id + i, float(i * 10_000), float(i * 10_000 + 9_999), plays))
    return out


def plugin_for(
    folder: Path, tracks: list[TrackInfo], train: list[SessionRecord]
) -> RecommenderPlugin:
    plugin = RecommenderPlugin(seed=7)
    plugin.load(PluginContext(folder, lambda: tracks, lambda: train))
    return plugin


def seeded_hits(
    plugin: RecommenderPlugin, test: list[SessionRecord], picks: int, following: int
) -> tuple[float, Counter[str]]:
    """Mean share of each test session's next ``following`` tracks among ``picks`` picks."""
    shares, reasons = [], Counter[str]()
    for record in test:
        items = [p.track_id for p in record.plays]
        if len(items) < 2:
            continue
        plugin._memory = RadioMemory()  # a fresh start: the seed alone steers
        plugin._state = initial_state(plugin.model) if plugin.model is not None else None
        plugin.start_from([items[0]])
        slots = plugin.suggest(picks, frozenset({items[0]}))
        drawn = {slot[0].track_id for slot in slots}
        reasons.update(slot[0].reason.split(" ", 2)[0] for slot in slots)
        targets = set(items[1 : 1 + following])
        shares.append(len(targets & drawn) / len(targets))
    return float(np.mean(shares)), reasons


def main() -> None:
    """Train per person, then print seeded vs structure-only hit shares."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--who", default="dudu,djivs,cosmo,mattgath")
    parser.add_argument("--picks", type=int, default=20)
    parser.add_argument("--next", type=int, default=5, dest="following")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for who in args.who.split(","):
        tracks = library(who)
        train = sessions(DATA / f"{who}.train.txt")
        test = sessions(DATA / f"{who}.test.txt", first_id=len(train) + 1)
        with tempfile.TemporaryDirectory() as tmp:
            structure = plugin_for(Path(tmp) / "s", tracks, train)  # no model: the prior only
            structure._steer.learn(structure._mix.prior, train)  # the same variety mask
            base, _ = seeded_hits(structure, test, args.picks, args.following)
            started = time.perf_counter()
            plugin = plugin_for(Path(tmp) / "m", tracks, train)
            plugin.train(train, full=True)
            trained_s = time.perf_counter() - started
            hits, reasons = seeded_hits(plugin, test, args.picks, args.following)
            spacing = plugin._steer.spacing()
        n = sum(1 for s in test if len(s.plays) >= 2)
        rows.append((who, n, hits, base))
        print(
            f"{who:9s} test sessions {n:4d}: seeded radio {hits:.3f}, structure only {base:.3f} "
            f"(train {trained_s:.0f} s, prior share {plugin.prior_share():.3f}, learned spacing "
            f"artist {spacing.artist} / album {spacing.album}; reasons {dict(reasons)})",
            flush=True,
        )
    print(
        f"mean over {len(rows)}: seeded {np.mean([r[2] for r in rows]):.3f}, "
        f"structure only {np.mean([r[3] for r in rows]):.3f} "
        f"(share of the next {args.following} tracks among the first {args.picks} picks)"
    )


if __name__ == "__main__":
    main()
