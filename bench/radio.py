"""Benchmark: radio pick latency at 100,000 tracks, 1,000 picks with missing files, cold start.

Usage: .venv/bin/python bench/radio.py [--tracks 100000] [--sessions 4000] [--picks 1000]
                                       [--missing 0.3] [--only latency,e2e,coldstart,takeover]
       .venv/bin/python bench/radio.py --during-retrain [--tracks 100000] [--sessions 4000]

Everything is generated in a temporary folder (never the repository) and deleted afterwards:
- a library of ``--tracks`` tracks (10 per album, 3 albums per artist) in a real SQLite db;
- synthetic sessions (walks over a hidden "taste" graph) on which a model is trained briefly;
- latency: the model part (the plugin stepping its state with the track that started, then
  ``suggest``: what the plugin's worker does per track; the pick alone beside it) and, end to
  end, from a track starting until the radio controller has refilled the queue (plugin host
  thread + Qt event loop + history);
- 1,000 consecutive picks with ``--missing`` of the files gone: no stop, no repeat in the window;
- cold start on ~200 albums: share of consecutive picks sharing artist or album, radio vs uniform;
- takeover: how many sessions of a listener whose habits differ from album order until the
  picks following those habits outnumber the library-structure ones.
- during retrain (``--during-retrain``, one JSON line): a full retrain of the model runs on the
  plugin's training thread while the radio controller keeps refilling the queue, one track
  after another; each refill's time and every pick made by the library-order fallback instead
  of the model are counted.
Targets: model part p99 < 5 ms, end to end p99 < 50 ms, during a retrain p99 < 50 ms with no
fallback.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import torch
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer, SignalInstance
from sqlalchemy import insert

from player.albums import album_key
from player.db.engine import Database, open_database
from player.db.models import Track
from player.history import History
from player.plugin_api import (
    Origin,
    Outcome,
    PlayRecord,
    PluginContext,
    SessionClosed,
    SessionRecord,
    TrackInfo,
    TrackStarted,
)
from player.plugin_host import PluginHost, PluginState
from player.radio.adapters import history_reporter
from player.radio.controller import RadioController
from recommender.checkpoint import save_recommender
from recommender.config import ModelConfig
from recommender.plugin import RecommenderPlugin
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession

PER_ALBUM, ALBUMS_PER_ARTIST = 10, 3


def library(n: int, root: str = "/bench/music") -> list[TrackInfo]:
    """``n`` tracks: 10 per album, 3 albums per artist, 12 genres, years 1960-2024."""
    out = []
    for i in range(n):
        album, number = divmod(i, PER_ALBUM)
        artist = album // ALBUMS_PER_ARTIST
        out.append(TrackInfo(
            track_id=i + 1, path=f"{root}/{artist}/{album}/{number:02d}.ogg",
            title=f"Song {i}", artist=f"Artist {artist}", album_artist=f"Artist {artist}",
            album=f"Album {album}", track_number=number + 1, genre=f"Genre {artist % 12}",
            year=1960 + artist % 65, duration_ms=240_000,
        ))  # fmt: skip
    return out


def taste_graph(n: int, rng: np.random.Generator, fanout: int = 3) -> np.ndarray:
    """Each track's preferred successors (ids 1..n), mostly on other artists' records."""
    return rng.integers(1, n + 1, size=(n + 1, fanout))


def walk_sessions(
    graph: np.ndarray, count: int, rng: np.random.Generator, follow: float = 0.85
) -> list[list[int]]:
    """Listening sessions: 6-14 tracks, each following the taste graph with ``follow`` odds."""
    n = graph.shape[0] - 1
    sessions = []
    for _ in range(count):
        track = int(rng.integers(1, n + 1))
        items = [track]
        for _ in range(int(rng.integers(5, 14))):
            if rng.random() < follow:
                track = int(graph[track, rng.integers(graph.shape[1])])
            else:
                track = int(rng.integers(1, n + 1))
            items.append(track)
        sessions.append(items)
    return sessions


def records(sessions: Sequence[Sequence[int]]) -> list[SessionRecord]:
    out = []
    for sid, items in enumerate(sessions, start=1):
        plays = tuple(
            PlayRecord(t, Outcome.FINISHED, 240_000, Origin.USER, float(i), 240_000)
            for i, t in enumerate(items)
        )
        out.append(SessionRecord(sid, 0.0, 1.0, plays))
    return out


def fill_db(db: Database, tracks: Sequence[TrackInfo]) -> None:
    rows = [{"id": t.track_id, "path": t.path, "title": t.title, "artist": t.artist,
             "album_artist": t.album_artist, "album": t.album, "track_number": t.track_number,
             "genre": t.genre, "year": t.year, "duration_ms": t.duration_ms, "available": True}
            for t in tracks]  # fmt: skip
    with db.session() as s, s.begin():
        for start in range(0, len(rows), 20_000):
            s.execute(insert(Track), rows[start : start + 20_000])


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def ms(values: Sequence[float]) -> str:
    return f"p50 {pct(values, 50) * 1e3:.2f} ms, p99 {pct(values, 99) * 1e3:.2f} ms"


def train_model(data_dir: Path, tracks: int, sessions: int, rng: np.random.Generator) -> None:
    graph = taste_graph(tracks, rng)
    data = [TrainingSession(tuple(s)) for s in walk_sessions(graph, sessions, rng)]
    items = len({i for s in data for i in s.items})
    config = ModelConfig.for_data(len(data), items, epochs=2)
    started = time.perf_counter()
    rec = Recommender.train_full(data, config)
    rec.add_tracks(range(1, tracks + 1))
    save_recommender(rec, data_dir / "models")
    seconds = time.perf_counter() - started
    print(f"trained {config.cell} (emb {config.embedding_dim}, hidden {config.hidden_dim}) on "
          f"{len(data):,} synthetic sessions / {items:,} items in {seconds:.1f} s; "
          f"vocabulary grown to {len(rec.vocab) - 1:,}")  # fmt: skip


def bench_model_part(context: PluginContext, picks: int) -> None:
    plugin = RecommenderPlugin(seed=1)
    plugin.load(context)
    assert plugin.model is not None
    recent: list[int] = []
    for mode in ("model", "mixed"):
        if mode == "mixed":  # as in a young model's life: the prior still takes a share
            plugin.model.cursor["sessions_seen"] = 50
        both, alone = [], []
        for _ in range(picks):
            exclude = frozenset(recent[-50:])
            started = time.perf_counter()
            pick = plugin.suggest(1, exclude)[0][0]
            picked = time.perf_counter()
            plugin.on_track_started(TrackStarted(pick.track_id, Origin.RADIO, 0.0))
            both.append(time.perf_counter() - started)
            alone.append(picked - started)
            recent.append(pick.track_id)
        print(f"model part ({mode}, prior share {plugin.prior_share():.3f}): step + pick "
              f"{ms(both)}; pick alone {ms(alone)}; load {os.getloadavg()[0]:.2f}")  # fmt: skip


class SimQueue:
    """The radio's queue protocol over a plain list (the window is not part of this figure)."""

    def __init__(self) -> None:
        self.current: int | None = None
        self.queue: list[int] = []

    def current_track_id(self) -> int | None:
        return self.current

    def upcoming_track_ids(self) -> list[int]:
        return self.queue

    def append_radio_track(self, track_id: int, probability: float, why: str = "") -> None:
        self.queue.append(track_id)

    def drop_radio_tail(self) -> list[int]:
        dropped, self.queue = self.queue, []
        return dropped

    def start_if_idle(self) -> None:
        pass


def wait_for(done: Callable[[], bool], signal: SignalInstance, timeout_ms: int = 30_000) -> bool:
    """Run a Qt event loop until ``done()`` (checked whenever ``signal`` fires) or a timeout.

    The loop sleeps in Qt between events, as the player's does, so the plugin's worker thread
    gets the GIL at once (a busy Python loop here would add GIL hand-offs to every figure).
    """
    if done():
        return True
    loop = QEventLoop()
    timer = QTimer(singleShot=True, interval=timeout_ms)
    timer.timeout.connect(loop.quit)

    def check(*_args: object) -> None:
        if done():
            loop.quit()

    signal.connect(check)
    timer.start()
    loop.exec()
    signal.disconnect(check)
    return done()


def bench_end_to_end(
    context: PluginContext, db: Database, tracks: Sequence[TrackInfo],
    picks: int, missing_share: float,
) -> None:  # fmt: skip
    rng = random.Random(5)
    missing = {t.path for t in tracks if rng.random() < missing_share}
    history = History(db)
    history.start_app_session()
    host = PluginHost(context, plugins=[RecommenderPlugin(seed=2)], discover=False)
    host.start()
    wait_for(lambda: host.state("recommender") is not PluginState.LOADING, host.plugin_loaded,
             600_000)  # fmt: skip
    queue = SimQueue()
    reported: list[int] = []
    report = history_reporter(history, db)
    pool = ThreadPoolExecutor(max_workers=1)  # as the app does: history writes off the GUI
    radio = RadioController(
        queue, host, recent_tracks=history.recent_track_ids,
        report_missing=lambda t, m: (reported.append(t), pool.submit(report, t, m)),
        file_exists=lambda p: p not in missing, timeout_ms=2000, rng=random.Random(3),
    )  # fmt: skip
    radio.set_library(tracks)
    queue.current = tracks[0].track_id
    radio.set_enabled(True)
    wait_for(lambda: len(queue.queue) >= 2, radio.track_picked)
    played, times, stops = [queue.current], [], 0
    for _ in range(picks):
        if not queue.queue:
            stops += 1
            break
        track = queue.queue.pop(0)
        queue.current = track
        play = history.play_started(track, Origin.RADIO)  # what the tracker does
        history.play_ended(play, Outcome.FINISHED, position_ms=1, played_ms=1)
        host.track_started(TrackStarted(track, Origin.RADIO, 0.0))
        started = time.perf_counter()
        radio.on_track_started(track)
        if not wait_for(lambda: len(queue.queue) >= 2, radio.track_picked):
            stops += 1
            break
        times.append(time.perf_counter() - started)
        played.append(track)
    window = radio.window_size()
    repeats = sum(1 for i, t in enumerate(played) if t in played[max(0, i - window) : i])
    played_missing = sum(1 for t in played if tracks[t - 1].path in missing)
    print(f"end to end (track started -> queue refilled, {len(times)} picks): {ms(times)}")
    print(f"{len(played) - 1} consecutive picks with {missing_share:.0%} of files missing: "
          f"stops {stops}, repeats inside the {window}-track window {repeats}, missing files "
          f"played {played_missing}, "
          f"missing picks caught (logged failed) {len(reported)}")  # fmt: skip
    host.shutdown()
    pool.shutdown()


def bench_during_retrain(
    context: PluginContext, tracks: Sequence[TrackInfo], min_picks: int
) -> dict[str, float]:
    """Refill after refill while a full retrain runs on the plugin's training thread."""
    host = PluginHost(context, plugins=[RecommenderPlugin(seed=2)], discover=False)
    host.start()
    wait_for(lambda: host.state("recommender") is not PluginState.LOADING, host.plugin_loaded,
             600_000)  # fmt: skip
    queue = SimQueue()
    radio = RadioController(
        queue, host, recent_tracks=lambda n: [], report_missing=lambda t, m: None,
        file_exists=lambda p: True, timeout_ms=2500, rng=random.Random(3),
    )  # fmt: skip
    radio.set_library(tracks)
    fallbacks = [0]
    radio.track_picked.connect(
        lambda _t, _p, how: fallbacks.__setitem__(0, fallbacks[0] + (how != "model"))
    )
    queue.current = tracks[0].track_id
    radio.set_enabled(True)
    wait_for(lambda: len(queue.queue) >= 2, radio.track_picked)
    finished: list[bool] = []
    host.train_finished.connect(lambda _name, ok, _message: finished.append(ok))
    fallbacks[0] = 0
    started_training = time.perf_counter()
    assert host.train(full=True)
    times: list[float] = []
    while not finished or len(times) < min_picks:
        track = queue.queue.pop(0)
        queue.current = track
        host.track_started(TrackStarted(track, Origin.RADIO, 0.0))
        started = time.perf_counter()
        radio.on_track_started(track)
        if not wait_for(lambda: len(queue.queue) >= 2, radio.track_picked):
            break
        times.append(time.perf_counter() - started)
        if finished and len(times) >= min_picks:
            break
    training_s = time.perf_counter() - started_training
    radio.shutdown()
    host.shutdown()
    return {
        "picks": len(times),
        "p50_ms": round(pct(times, 50) * 1e3, 2),
        "p99_ms": round(pct(times, 99) * 1e3, 2),
        "max_ms": round(max(times) * 1e3, 2),
        "fallbacks": fallbacks[0],
        "retrain_s": round(training_s, 1),
    }


class Related:
    """Whether two tracks share an artist or an album."""

    def __init__(self, tracks: Sequence[TrackInfo]) -> None:
        self._tracks = {t.track_id: t for t in tracks}

    def __call__(self, a: int, b: int) -> bool:
        ta, tb = self._tracks.get(a), self._tracks.get(b)
        if ta is None or tb is None:
            return False
        same_album = album_key(ta) is not None and album_key(ta) == album_key(tb)
        return same_album or (bool(ta.artist) and ta.artist.casefold() == tb.artist.casefold())


def related_share(related: Related, picks: Sequence[int]) -> float:
    pairs = list(itertools.pairwise(picks))
    return sum(related(a, b) for a, b in pairs) / len(pairs)


def run_radio(plugin: RecommenderPlugin, seed_track: int, picks: int) -> list[int]:
    played = [seed_track]
    plugin.on_track_started(TrackStarted(seed_track, Origin.USER, 0.0))
    for _ in range(picks):
        pick = plugin.suggest(1, frozenset(played[-50:]))[0][0].track_id
        plugin.on_track_started(TrackStarted(pick, Origin.RADIO, 0.0))
        played.append(pick)
    return played


def bench_cold_start(tmp: Path, picks: int) -> None:
    tracks = library(2000)  # 200 albums, 67 artists
    context = PluginContext(tmp / "cold", lambda: tracks, lambda: [])
    plugin = RecommenderPlugin(seed=4)
    plugin.load(context)
    related = Related(tracks)
    radio = run_radio(plugin, 1, picks)
    rng = random.Random(6)
    uniform = [1]
    for _ in range(picks):
        recent = set(uniform[-50:])
        uniform.append(rng.choice([t.track_id for t in tracks if t.track_id not in recent]))
    print(f"cold start, 200 albums / 2,000 tracks, {picks} picks: consecutive picks sharing "
          f"artist or album: radio {related_share(related, radio):.1%}, "
          f"uniform random {related_share(related, uniform):.1%}")  # fmt: skip


def bench_takeover(tmp: Path, picks: int) -> None:
    """Sessions of a listener with habits of their own until radio follows them, not albums.

    The listener keeps to 200 favourite tracks and moves between them along a fixed "taste"
    graph (two preferred successors each, chosen regardless of artist or album) 85% of the
    time; radio is asked for the next track after a random favourite.
    """
    tracks = library(2000)
    related = Related(tracks)
    rng = np.random.default_rng(7)
    favourites = rng.choice(np.arange(1, len(tracks) + 1), size=200, replace=False)
    graph = np.zeros((len(tracks) + 1, 2), dtype=np.int64)
    graph[favourites] = rng.choice(favourites, size=(len(favourites), 2))
    sessions = []
    for _ in range(400):
        track = int(rng.choice(favourites))
        items = [track]
        for _ in range(int(rng.integers(5, 14))):
            follow = rng.random() < 0.85
            track = int(graph[track, rng.integers(2)] if follow else rng.choice(favourites))
            items.append(track)
        sessions.append(items)
    all_sessions = records(sessions)
    print("takeover (a listener moving between 200 favourites along their own habits; sessions")
    print("closing one by one as in the app: learned in the background, prior share fitted):")
    print("  sessions  prior share  picks following the habits  picks sharing artist/album")
    starts = np.random.default_rng(9).choice(favourites, size=picks)
    plugin = RecommenderPlugin(seed=8)
    plugin.load(PluginContext(tmp / "takeover", lambda: tracks, lambda: []))
    checkpoints = (0, 5, 10, 25, 50, 100, 150, 200, 300, 400)
    for k in range(len(all_sessions) + 1):
        if k in checkpoints:
            learned = structure = 0
            for start in starts:
                plugin.on_track_started(TrackStarted(int(start), Origin.USER, 0.0))
                pick = plugin.suggest(1, frozenset({int(start)}))[0][0].track_id
                learned += pick in graph[start]
                structure += related(int(start), pick)
            print(f"  {k:8d}  {plugin.prior_share():11.2f}  {learned / picks:26.1%}  "
                  f"{structure / picks:26.1%}")  # fmt: skip
        if k < len(all_sessions):
            plugin.on_session_closed(SessionClosed(all_sessions[k]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=4000)
    parser.add_argument("--picks", type=int, default=1000)
    parser.add_argument("--missing", type=float, default=0.3)
    parser.add_argument("--only", default="latency,e2e,coldstart,takeover")
    parser.add_argument("--during-retrain", action="store_true",
                        help="only the picks during a retrain, as one JSON line")  # fmt: skip
    args = parser.parse_args(argv)
    if args.during_retrain:
        return during_retrain(args)
    parts = set(args.only.split(","))
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.ERROR)  # the radio warns about every missing pick
    app = QCoreApplication(sys.argv[:1])  # noqa: F841 - queued signals need an application
    with tempfile.TemporaryDirectory(prefix="segue-bench-radio-") as name:
        tmp = Path(name)
        if parts & {"latency", "e2e"}:
            tracks = library(args.tracks)
            db = open_database(tmp / "library.db")
            fill_db(db, tracks)
            history = History(db)
            context = PluginContext(tmp, lambda: tracks, lambda: history.closed_sessions_since(0))
            train_model(tmp, args.tracks, args.sessions, np.random.default_rng(0))
            if "latency" in parts:
                bench_model_part(context, args.picks)
            if "e2e" in parts:
                bench_end_to_end(context, db, tracks, args.picks, args.missing)
            db.close()
        if "coldstart" in parts:
            bench_cold_start(tmp, args.picks)
        if "takeover" in parts:
            bench_takeover(tmp, 300)
    print(f"({os.cpu_count()} CPUs, torch threads {torch.get_num_threads()})")
    return 0


def during_retrain(args: argparse.Namespace) -> int:
    """``--during-retrain``: print one JSON line of pick latency while a retrain runs."""
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.ERROR)
    app = QCoreApplication(sys.argv[:1])  # noqa: F841 - queued signals need an application
    with tempfile.TemporaryDirectory(prefix="segue-bench-radio-") as name:
        tmp = Path(name)
        tracks = library(args.tracks)
        rng = np.random.default_rng(0)
        graph = taste_graph(args.tracks, rng)
        sessions = records(walk_sessions(graph, args.sessions, rng))
        data = [TrainingSession(tuple(p.track_id for p in s.plays)) for s in sessions]
        config = ModelConfig.for_data(len(data), len({i for s in data for i in s.items}))
        rec = Recommender.train_full(data, ModelConfig.for_data(len(data), args.tracks, epochs=1))
        rec.add_tracks(range(1, args.tracks + 1))
        save_recommender(rec, tmp / "models")
        context = PluginContext(tmp, lambda: tracks, lambda: sessions)
        figures = bench_during_retrain(context, tracks, args.picks)
        figures["tracks"] = args.tracks
        figures["retrain_epochs"] = config.epochs
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
