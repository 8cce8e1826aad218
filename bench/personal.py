"""The recommender on single-listener histories (../shared/data/personal-dev): figures for #23.

    python bench/personal.py table [--val] [--model-only] [--incremental] [--jobs 2]
    python bench/personal.py retrain [--plays 20000]

``table`` runs ``segue-recommender evaluate --items --likelihood`` for each listener and prints
HR@20 / MRR@20, radio's and add-one Markov's log-probability, and the mean over the four.
``--val`` evaluates on a validation tail carved from each train file (the last 20% of its
sessions; plays of tracks the rest never has dropped), which is where defaults are chosen; without
it, on the test files. ``retrain`` times one full retrain (one thread) on a history of
``--plays`` plays made of the four train files one after the other.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "personal-dev"
LISTENERS = ("dudu", "djivs", "cosmo", "mattgath")
VAL_SHARE = 0.2


def carve(train: Path, out: Path) -> tuple[Path, Path]:
    """Split a train file into (fit, validation) files as the protocol splits train / test."""
    sessions = [line.split() for line in train.read_text().splitlines() if line.strip()]
    cut = round(len(sessions) * (1 - VAL_SHARE))
    fit, val = sessions[:cut], sessions[cut:]
    known = {i for s in fit for i in s}
    val = [kept for s in val if len(kept := [i for i in s if i in known]) >= 2]
    fit_path, val_path = out / f"{train.stem}.fit.txt", out / f"{train.stem}.val.txt"
    fit_path.write_text("".join(" ".join(s) + "\n" for s in fit))
    val_path.write_text("".join(" ".join(s) + "\n" for s in val))
    return fit_path, val_path


def run_one(who: str, args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    train, test = DATA / f"{who}.train.txt", DATA / f"{who}.test.txt"
    if args.val:
        train, test = carve(train, scratch)
    command = [
        sys.executable, "-m", "recommender", "evaluate", "--json", "--likelihood",
        "--train", str(train), "--test", str(test), "--items", str(DATA / f"{who}.items.tsv"),
    ]  # fmt: skip
    if args.model_only:
        command.append("--model-only")
    if args.incremental:
        command.append("--incremental")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, object] = json.loads(done.stdout)
    figures["who"] = who
    return figures


def table(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda w: run_one(w, args, Path(scratch)), LISTENERS))
    keys = ("HR@20", "MRR@20", "HR@10", "MRR@10", "radio_log_p", "markov_log_p", "radio_p")
    print("who       " + " ".join(f"{k:>12}" for k in keys) + "  train_s")
    for row in rows:
        values = " ".join(f"{float(row[k]):12.4f}" for k in keys)  # type: ignore[arg-type]
        print(f"{row['who']:<9} {values}  {row['train_seconds']}")
    means = " ".join(f"{sum(float(r[k]) for r in rows) / len(rows):12.4f}" for k in keys)  # type: ignore[arg-type]
    print(f"{'mean':<9} {means}")
    print(json.dumps(rows))


def retrain(args: argparse.Namespace) -> None:
    import torch

    from recommender.blend import Blend
    from recommender.sessions import TrainingSession, read_sessions
    from recommender.tags import read_items

    torch.set_num_threads(1)
    sessions: list[TrainingSession] = []
    tags = {}
    offset = 0
    for who in LISTENERS:  # one listener after another, ids kept apart
        own = read_sessions(DATA / f"{who}.train.txt")
        sessions += [TrainingSession(tuple(i + offset for i in s.items)) for s in own]
        tags.update({i + offset: t for i, t in read_items(DATA / f"{who}.items.tsv").items()})
        offset += 1_000_000
    plays = 0
    for n, s in enumerate(sessions):
        plays += len(s.items)
        if plays >= args.plays:
            sessions = sessions[: n + 1]
            break
    start, cpu = time.perf_counter(), time.process_time()
    Blend.train(sessions, tags=tags)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    figures = {
        "sessions": len(sessions),
        "plays": plays,
        "retrain_seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),  # the figure that holds on a machine shared with others
    }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("table")
    t.add_argument("--val", action="store_true")
    t.add_argument("--model-only", action="store_true")
    t.add_argument("--incremental", action="store_true")
    t.add_argument("--jobs", type=int, default=1)
    r = sub.add_parser("retrain")
    r.add_argument("--plays", type=int, default=20_000)
    args = parser.parse_args()
    {"table": table, "retrain": retrain}[args.command](args)


if __name__ == "__main__":
    main()
