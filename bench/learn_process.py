"""Learning in a child process (issue 29): each job's wall and CPU time, the child's peak memory.

    .venv/bin/python bench/learn_process.py [--data DIR] [--who djivs] [--tracks 100000]
                                            [--updates 3]

A full training on the first 80% of one listener's train file (../shared/data/personal-dev),
its vocabulary grown to a library of ``--tracks`` ids, then ``--updates`` updates of one session
each, every job in its own child process as the player runs them. Prints one JSON line per job
(wall seconds, the child's CPU seconds and peak RSS from its log, checkpoint and moments sizes),
then the parent's own peak RSS and whether torch entered it.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

# checkpoint.MOMENTS_FILE is not imported: recommender.checkpoint imports torch
from recommender.learn_process import LearnJob, learn_in_child
from recommender.sessions import read_sessions
from recommender.tags import read_items

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "personal-dev"
CHILD_LINE = re.compile(r"learned \w+ in ([\d.]+) s of CPU, at most (\d+) MB resident")


class ChildFigures(logging.Handler):
    """Keeps the CPU time and peak RSS the child logs when it is done."""

    def __init__(self) -> None:
        super().__init__()
        self.last: tuple[float, int] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if found := CHILD_LINE.search(record.getMessage()):
            self.last = float(found[1]), int(found[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--who", default="djivs")
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=3)
    args = parser.parse_args()
    sessions = read_sessions(args.data / f"{args.who}.train.txt")
    tags = read_items(args.data / f"{args.who}.items.tsv")
    heard = {i for s in sessions for i in s.items}
    library = sorted(heard) + [10_000_000 + i for i in range(max(0, args.tracks - len(heard)))]
    figures = ChildFigures()
    logging.getLogger("recommender.learn_process").addHandler(figures)
    logging.getLogger("recommender.learn_process").setLevel(logging.INFO)
    cut = int(len(sessions) * 0.8)
    with tempfile.TemporaryDirectory() as scratch:
        models = Path(scratch) / "models"
        jobs = [LearnJob("full", models, models, sessions[:cut], tags=tags, library=library)]
        jobs += [
            LearnJob("update", models, models, sessions[: cut + n], 1, library=library, seed=n)
            for n in range(1, args.updates + 1)
        ]
        for job in jobs:
            figures.last = None
            start = time.perf_counter()
            outcome = learn_in_child(job)
            wall = time.perf_counter() - start
            cpu, peak = figures.last or (float("nan"), 0)
            sizes = {p.name: p.stat().st_size for p in models.iterdir()}
            weights = sum(v for k, v in sizes.items() if k.startswith("model-"))
            moments = sum(v for k, v in sizes.items() if k.endswith(".safetensors")) - weights
            print(json.dumps({
                "kind": job.kind, "sessions": len(job.sessions), "learned": outcome.learned,
                "message": outcome.message, "wall_s": round(wall, 1), "child_cpu_s": round(cpu, 1),
                "child_peak_mb": peak, "weights_mb": round(weights / 2**20, 1),
                "moments_mb": round(moments / 2**20, 1),
            }))  # fmt: skip
    print(json.dumps({
        "tracks": len(library),
        "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "torch_in_parent": "torch" in sys.modules,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
