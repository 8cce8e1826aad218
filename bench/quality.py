"""Quality benchmarks on nowplaying (prints figures; the full runs take minutes, not seconds).

    .venv/bin/python bench/quality.py full   [--model gru|pop|markov|sknn|...]
    .venv/bin/python bench/quality.py incremental [--on-val [--val 5000]] [--base DIR]
        [--update-seed K]
    .venv/bin/python bench/quality.py slice  [--slice 3000] [--test-sessions 2000]
    .venv/bin/python bench/quality.py latency      # one update() of 50 sessions, 60k items
    .venv/bin/python bench/quality.py validate [--val 5000] [--set key=value ...]
    .venv/bin/python bench/quality.py skips        # simulated: how skips enter training
    .venv/bin/python bench/quality.py softmax [--checkpoint DIR] [--negatives 0,1024,4096]

``validate`` trains on the train file minus its last ``--val`` sessions and evaluates on that tail
(the files are time-ordered): hyper-parameters are chosen there, never on the test file.
``softmax`` trains the main epochs on that same split (or loads them from ``--checkpoint``, saving
them there the first time), then runs the final recent-sessions pass once per ``--negatives``
value (0: the exact softmax over every track) and scores each on the tail.
``incremental --base DIR`` trains the first 80% once and saves it in DIR (later runs load it;
its training time is left out of theirs), so ``--update-seed K`` runs differ in the updates'
randomness alone: the spread of the result.
``slice`` does the same for a young history: it trains on the ``--slice`` sessions just before
the train file's last ``--test-sessions`` and evaluates every model on those.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import random
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from player.plugin_api import Origin, Outcome, PlayRecord
from recommender.baselines import MarkovScorer, PopularityScorer, SessionKNNScorer
from recommender.checkpoint import META_FILE, load_recommender, save_recommender
from recommender.config import ModelConfig
from recommender.evaluation import evaluate
from recommender.incremental import FIRST_SHARE, pick_replay, train_incremental
from recommender.recommender import Recommender
from recommender.scoring import SessionScorer
from recommender.sessions import TrainingSession, item_ids, read_sessions, session_from_plays
from recommender.training import train_phases

DATA = Path(os.environ.get("SEGUE_DATA", "/work/shared/data/nowplaying-gcegnn"))


def _figures(
    scorer: SessionScorer, test: Sequence[Sequence[int]], train_s: float, **extra: Any
) -> dict[str, Any]:
    start = time.perf_counter()
    metrics = evaluate(scorer, test)
    out = {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.to_dict().items()}
    out.update(
        train_seconds=round(train_s, 1),
        eval_seconds=round(time.perf_counter() - start, 1),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        **extra,
    )
    return out


def _build(
    model: str, train: Sequence[TrainingSession], config: ModelConfig | None = None
) -> tuple[SessionScorer, float]:
    start = time.perf_counter()
    scorer: SessionScorer
    if model == "pop":
        scorer = PopularityScorer(train)
    elif model == "markov":
        scorer = MarkovScorer(train)
    elif model == "sknn":
        scorer = SessionKNNScorer(train)
    else:
        config = config or ModelConfig.for_data(len(train), len(item_ids(train)), cell=model)
        scorer = Recommender.train_full(train, config)
    return scorer, time.perf_counter() - start


def _restrict(sessions: Sequence[Sequence[int]], known: set[int]) -> list[tuple[int, ...]]:
    kept = [tuple(i for i in s if i in known) for s in sessions]
    return [s for s in kept if len(s) >= 2]


def _overrides(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        out[key] = json.loads(value) if value[:1] in "0123456789-[{tf" else value
    return out


def _skips() -> None:
    """Simulated radio listening: does dropping early skips (sessions.py's rule) pay off?

    Users follow a planted order over 40 tracks; a third of the time the radio slips in a random
    track which the user skips after 10%. Two training policies are compared on clean sessions:
    the plays turned into sessions by ``session_from_plays`` (early skips dropped) versus every
    play kept as a normal item.
    """
    rng = random.Random(0)
    n_items = 40
    plays: list[list[PlayRecord]] = []
    for _ in range(400):
        start, session = rng.randrange(n_items), []
        for i in range(rng.randrange(4, 10)):
            if rng.random() < 0.33:
                session.append(
                    PlayRecord(
                        rng.randrange(n_items) + 1,
                        Outcome.SKIPPED,
                        20_000,
                        Origin.RADIO,
                        0.0,
                        200_000,
                    )
                )
            session.append(
                PlayRecord(
                    (start + i) % n_items + 1, Outcome.FINISHED, 200_000, Origin.USER, 0.0, 200_000
                )
            )
        plays.append(session)
    clean = [tuple((s + i) % n_items + 1 for i in range(6)) for s in range(n_items)]
    policies = {
        "early skips dropped (session_from_plays)": [session_from_plays(p) for p in plays],
        "every play kept, weight 1": [TrainingSession(tuple(p.track_id for p in s)) for s in plays],
    }
    for name, sessions in policies.items():
        config = ModelConfig.for_data(len(sessions), n_items, epochs=15)
        rec = Recommender.train_full(sessions, config)
        metrics = evaluate(rec, clean)
        print(
            json.dumps(
                {
                    "run": "skips",
                    "policy": name,
                    "HR@1": round(_hr1(rec, clean), 4),
                    "MRR@20": round(metrics.mrr(20), 4),
                    "HR@20": round(metrics.hr(20), 4),
                    "positions": metrics.positions,
                }
            )
        )


def _softmax(
    train: Sequence[TrainingSession],
    val: int,
    overrides: dict[str, Any],
    checkpoint: Path | None,
    sizes: Sequence[int],
) -> None:
    """Sampled softmax of each size (0: exact) in the final pass, from one main-epochs model."""
    fit, tail = train[:-val], train[-val:]
    config = ModelConfig.for_data(len(fit), len(item_ids(fit)), **overrides)
    start = time.perf_counter()
    if checkpoint is not None and checkpoint.exists():
        main_model = load_recommender(checkpoint)
    else:
        main_model = Recommender.train_full(fit, dataclasses.replace(config, recent_share=0.0))
        if checkpoint is not None:
            save_recommender(main_model, checkpoint)
    valid = _restrict([s.items for s in tail], set(item_ids(fit)))
    main_seconds = time.perf_counter() - start
    print(json.dumps(_figures(main_model, valid, main_seconds, run="softmax: main epochs only")))
    for size in sizes:
        rec = copy.deepcopy(main_model)
        rec.config = config
        rec.model.config = dataclasses.replace(config, negatives=size)
        start = time.perf_counter()
        phase = rec.recent_phase(fit)
        train_phases(rec.model, [phase], rec.counts, generator=torch.Generator().manual_seed(1))
        rec.model.config = config
        seconds = time.perf_counter() - start
        print(
            json.dumps(_figures(rec, valid, seconds, run="softmax: recent pass", negatives=size)),
            flush=True,
        )


def _hr1(rec: Recommender, sessions: Sequence[Sequence[int]]) -> float:
    hits = total = 0
    for s in sessions:
        for t in range(1, len(s)):
            best = int(rec.scores(list(s[:t])).argmax())
            hits += rec.vocab.track_id(best) == s[t]
            total += 1
    return hits / total


def main() -> None:
    """Run the chosen benchmark and print one JSON line per figure set."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "what", choices=["full", "incremental", "slice", "latency", "validate", "skips", "softmax"]
    )
    parser.add_argument("--model", default="gru")
    parser.add_argument("--slice", type=int, default=3000)
    parser.add_argument("--test-sessions", type=int, default=2000)
    parser.add_argument("--val", type=int, default=5000)
    parser.add_argument(
        "--on-val", action="store_true", help="incremental: on the validation tail, not the test"
    )
    parser.add_argument("--set", nargs="*", default=[], help="config overrides key=value")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--base", type=Path, help="incremental: the 80%% model's folder (trained once, reused)"
    )
    parser.add_argument(
        "--update-seed", type=int, help="incremental: seed of the updates alone (with --base)"
    )
    parser.add_argument("--checkpoint", type=Path, help="softmax: the main-epochs model's folder")
    parser.add_argument(
        "--negatives", default="0,1024,2048,4096,16384", help="softmax: sizes (0: exact)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.what == "skips":
        _skips()
        return
    train = read_sessions(DATA / "train_sessions.txt")
    test = [s.items for s in read_sessions(DATA / "test_sessions.txt")]
    overrides = _overrides(args.set)
    if args.what == "softmax":
        sizes = [int(n) for n in args.negatives.split(",")]
        _softmax(train, args.val, overrides, args.checkpoint, sizes)
    elif args.what == "full":
        config = None
        if args.model in ("gru", "rnn", "lstm"):
            config = ModelConfig.for_data(
                len(train), len(item_ids(train)), cell=args.model, **overrides
            )
        scorer, seconds = _build(args.model, train, config)
        print(json.dumps(_figures(scorer, test, seconds, run="full", model=args.model)))
    elif args.what == "validate":
        fit, tail = train[: -args.val], train[-args.val :]
        config = ModelConfig.for_data(len(fit), len(item_ids(fit)), **overrides)
        scorer, seconds = _build(args.model, fit, config)
        valid = _restrict([s.items for s in tail], set(item_ids(fit)))
        print(
            json.dumps(
                _figures(
                    scorer, valid, seconds, run="validate", model=args.model, overrides=overrides
                )
            )
        )
    elif args.what == "incremental":
        if args.on_val:  # choices are made here: the train file minus its tail, scored on it
            train, tail = train[: -args.val], train[-args.val :]
            test = _restrict([s.items for s in tail], set(item_ids(train)))
        config = ModelConfig.for_data(len(train), len(item_ids(train)), **overrides)
        start_from = None
        if args.base is not None:
            if not (args.base / META_FILE).exists():
                cut = train[: int(len(train) * FIRST_SHARE)]
                save_recommender(Recommender.train_full(cut, config), args.base)
            start_from = load_recommender(args.base)  # the first run takes the later runs' path
            start_from.config = start_from.model.config = config  # --set applies to updates
        run = train_incremental(train, config, start_from=start_from, update_seed=args.update_seed)
        updates = sorted(run.update_seconds)
        seconds = run.full_seconds + sum(updates)
        print(
            json.dumps(
                _figures(
                    run.recommender,
                    test,
                    seconds,
                    run="incremental",
                    full_train_seconds=round(run.full_seconds, 1),
                    updates=len(updates),
                    update_p50=round(updates[len(updates) // 2], 3),
                    update_max=round(updates[-1], 3),
                )
            )
        )
    elif args.what == "slice":
        # a small, young history cut from the train file: --slice sessions, then the next
        # --test-sessions as its validation tail (the test file is never used for choices)
        fit = train[-args.slice - args.test_sessions : -args.test_sessions]
        known = set(item_ids(fit))
        valid = _restrict([s.items for s in train[-args.test_sessions :]], known)
        for model in ("pop", "markov", "sknn", "gru"):
            scorer, seconds = _build(model, fit)
            print(
                json.dumps(
                    _figures(
                        scorer,
                        valid,
                        seconds,
                        run="slice",
                        model=model,
                        train_sessions=len(fit),
                        items=len(known),
                    )
                ),
                flush=True,
            )
    else:
        config = ModelConfig.for_data(len(train), len(item_ids(train)), epochs=1, **overrides)
        rec = Recommender.train_full(train[:20_000], config)
        rec.add_tracks(item_ids(train))
        generator = torch.Generator().manual_seed(0)
        timings = []
        replayed = config.update_replay * 50
        for i in range(10):
            new = train[20_000 + 50 * i : 20_000 + 50 * (i + 1)]
            replay = pick_replay(train[: 20_000 + 50 * i], replayed, generator)
            start = time.perf_counter()
            rec.update(new, replay=replay)
            timings.append(time.perf_counter() - start)
        timings.sort()
        print(
            json.dumps(
                {
                    "run": "update latency",
                    "items": len(rec.vocab) - 1,
                    "sessions_per_update": 50,
                    "replay": replayed,
                    "p50_s": round(timings[5], 3),
                    "max_s": round(timings[-1], 3),
                }
            )
        )


if __name__ == "__main__":
    main()
