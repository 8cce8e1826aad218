"""Radio next-track pick latency at a 100,000-track vocabulary on one thread (prints p50 / p99).

A pick is what radio does per track: advance the carried state by the track just played, then a
masked (recently played excluded), tempered softmax over every track and one sample.

    .venv/bin/python bench/inference.py [--tracks 100000] [--picks 2000] [--top-p 0.9]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from recommender.config import ModelConfig
from recommender.recommender import Recommender


def main() -> None:
    """Time picks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--picks", type=int, default=2000)
    parser.add_argument("--exclude", type=int, default=50, help="recently played, masked")
    parser.add_argument("--top-p", type=float, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = ModelConfig.for_data(120_000, args.tracks)
    rec = Recommender.untrained(range(1, args.tracks + 1), config)
    generator = torch.Generator().manual_seed(0)
    state = rec.initial_state()
    recent: list[int] = []
    track = 1
    timings = []
    for i in range(args.picks + 100):
        start = time.perf_counter()
        state = rec.advance(state, track)
        track, _ = rec.sample(state, generator, temperature=0.9, top_p=args.top_p, exclude=recent)
        elapsed = time.perf_counter() - start
        recent = [*recent, track][-args.exclude :]
        if i >= 100:  # warm-up excluded
            timings.append(elapsed * 1000.0)
    ms = np.asarray(timings)
    print(
        f"tracks={args.tracks} embedding={config.embedding_dim} hidden={config.hidden_dim} "
        f"cell={config.cell} exclude={args.exclude} top_p={args.top_p} threads=1"
    )
    print(
        f"pick latency ms: p50={np.percentile(ms, 50):.2f} p90={np.percentile(ms, 90):.2f} "
        f"p99={np.percentile(ms, 99):.2f} max={ms.max():.2f} (n={len(ms)})"
    )


if __name__ == "__main__":
    main()
