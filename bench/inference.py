"""Radio next-track pick latency at a 100,000-track vocabulary on one thread (prints p50 / p99).

A pick is what radio does per track: advance the carried state by the track just played, then a
masked (recently played excluded), tempered softmax over every track and one sample. Radio
scores in numpy (``recommender/radio/engine.py``, float32, one BLAS pass over V) through the
model's own forward pass (``recommender/radio/scores.py``).

    .venv/bin/python bench/inference.py [--tracks 100000] [--picks 2000] [--top-p 0.9]
        [--temperature 0.9] [--checkpoint DIR]

With ``--checkpoint`` (a model folder, e.g. a model trained on the nowplaying data) the trained
model is timed instead of an untrained one.

``--steered`` times a pick the way the plugin makes it with every steering feature on (issue
#28): the mixture with the library prior over a 100,000-track library (3 albums of 10 per
artist), ``--never`` never-play tracks masked, a variety spacing (same artist 3, same album 5)
masked, a love pulling, and the pick's reason looked up in a history of 2,000 sessions; each
pick is the track-started step plus ``suggest(1)`` with the last 50 excluded.

The headline is wall-clock time (what a listener waits for); the thread's own CPU time per pick
and the load average are printed beside it, because on a machine with more runnable threads than
cores the wall-clock p99 is mostly time spent waiting for a core, not computing.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from player.plugin_api import (
    Feedback,
    FeedbackKind,
    Origin,
    Outcome,
    PlayRecord,
    PluginContext,
    SessionRecord,
    TrackInfo,
    TrackStarted,
)
from recommender.config import ModelConfig
from recommender.plugin import RecommenderPlugin
from recommender.radio import scores as radio
from recommender.radio.engine import RadioModel
from recommender.radio.state import advance, initial_state
from recommender.recommender import Recommender


def build(args: argparse.Namespace) -> RadioModel:
    """The model to time: a checkpoint, or an untrained one of the size radio sees."""
    if args.checkpoint is not None:
        return RadioModel.load(args.checkpoint)
    config = ModelConfig.for_data(120_000, args.tracks)
    return RadioModel.of(Recommender.untrained(range(1, args.tracks + 1), config))


def latency(rec: RadioModel, args: argparse.Namespace) -> None:
    """Time advance + sample, as radio does per track."""
    generator = np.random.default_rng(0)
    ids = rec.vocab.to_list()
    state = initial_state(rec)
    recent: list[int] = []
    track = ids[0]
    timings, cpu_timings = [], []
    for i in range(args.picks + 100):
        start, cpu_start = time.perf_counter(), time.thread_time()
        state = advance(rec, state, track)
        draw = radio.next_draw(
            rec, state, temperature=args.temperature, top_p=args.top_p, exclude=recent
        )
        track = rec.vocab.track_id(draw.sample(generator)[0][0])
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
        recent = [*recent, track][-args.exclude :]
        if i >= 100:  # warm-up excluded
            timings.append(elapsed * 1000.0)
            cpu_timings.append(cpu * 1000.0)
    ms, cpu_ms = np.asarray(timings), np.asarray(cpu_timings)
    config = rec.config
    print(
        f"tracks={len(rec.vocab) - 1} embedding={config.embedding_dim} "
        f"hidden={config.hidden_dim} cell={config.cell} exclude={args.exclude} "
        f"temperature={args.temperature} top_p={args.top_p} threads=1 "
        f"model={'checkpoint' if args.checkpoint else 'untrained'}"
    )
    print(
        f"pick latency ms: p50={np.percentile(ms, 50):.2f} p90={np.percentile(ms, 90):.2f} "
        f"p99={np.percentile(ms, 99):.2f} max={ms.max():.2f} (n={len(ms)})"
    )
    print(
        f"  thread CPU ms per pick: p50={np.percentile(cpu_ms, 50):.2f} "
        f"p99={np.percentile(cpu_ms, 99):.2f}; load average {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )


def steered(rec: RadioModel, args: argparse.Namespace) -> None:
    """Time the plugin's pick (step + suggest) with never-play, variety, a love and reasons."""
    ids = rec.vocab.to_list()
    tracks = [
        TrackInfo(t, f"/b/{t}.ogg", f"Song {t}", f"Artist {(t - 1) // 30}", "",
                  f"Album {(t - 1) // 10}", (t - 1) % 10 + 1, None, f"Genre {t % 12}")
        for t in ids
    ]  # fmt: skip
    rng = random.Random(2)
    history = [
        SessionRecord(i, 0.0, 1.0, tuple(
            PlayRecord(rng.choice(ids), Outcome.FINISHED, 1, Origin.USER, float(i), 1)
            for _ in range(10)))
        for i in range(1, 2001)
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        plugin = RecommenderPlugin(seed=0)
        plugin.load(PluginContext(Path(tmp), lambda: tracks, lambda: history))
    plugin._rec, plugin._state = rec, initial_state(rec)  # this untrained (or loaded) model
    plugin._mix.prepare(rec)
    plugin._steer.learn(plugin._mix.prior, history)
    plugin.set_option("temperature", args.temperature)
    plugin.set_option("top_p", args.top_p or 1.0)
    plugin.set_option("artist_spacing", 3)
    plugin.set_option("album_spacing", 5)
    for t in rng.sample(ids, args.never):
        plugin.on_feedback(Feedback(t, FeedbackKind.NEVER))
    plugin.on_feedback(Feedback(ids[1], FeedbackKind.LOVE))
    for mode, seen in (("model", 10**6), ("mixed", 50)):
        rec.cursor["sessions_seen"] = seen  # a mature model, and a young one the prior helps
        recent: list[int] = []
        track = ids[0]
        timings, cpu_timings, reasons = [], [], set()
        for i in range(args.picks + 100):
            start, cpu_start = time.perf_counter(), time.thread_time()
            plugin.on_track_started(TrackStarted(track, Origin.RADIO, 0.0))
            pick = plugin.suggest(1, frozenset(recent[-args.exclude :]))[0][0]
            elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
            track = pick.track_id
            recent.append(track)
            reasons.add(pick.reason.split(" ", 1)[0])
            if i >= 100:
                timings.append(elapsed * 1000.0)
                cpu_timings.append(cpu * 1000.0)
        ms, cpu_ms = np.asarray(timings), np.asarray(cpu_timings)
        print(
            f"steered pick, {mode} (prior share {plugin.prior_share():.3f}; step + suggest; "
            f"{args.never} never-play, spacing artist 3 / album 5, a love; reasons "
            f"{sorted(reasons)}) at {len(tracks):,} tracks: p50={np.percentile(ms, 50):.2f} "
            f"p99={np.percentile(ms, 99):.2f} max={ms.max():.2f} ms (n={len(ms)}); thread CPU "
            f"p50={np.percentile(cpu_ms, 50):.2f} p99={np.percentile(cpu_ms, 99):.2f} ms; "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )


def main() -> None:
    """Time picks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--picks", type=int, default=2000)
    parser.add_argument("--exclude", type=int, default=50, help="recently played, masked")
    parser.add_argument("--top-p", type=float, default=None)
    parser.add_argument("--temperature", type=float, default=0.9)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--steered", action="store_true", help="the plugin's pick, all steering on")
    parser.add_argument("--never", type=int, default=1000, help="never-play tracks (--steered)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1, user_api="blas")  # as the plugin does
    rec = build(args)
    if args.steered:
        steered(rec, args)
    elif args.picks:
        latency(rec, args)


if __name__ == "__main__":
    main()
