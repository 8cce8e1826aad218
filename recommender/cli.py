"""The ``segue-recommender`` command line: ``evaluate``, ``train`` and ``radio --preview``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch

from player.plugin_api import TrainProgress
from recommender.baselines import MarkovScorer, PopularityScorer, SessionKNNScorer
from recommender.blend import DEFAULT_WEIGHTS, Blend, fit_weights
from recommender.config import CELLS, ModelConfig
from recommender.evaluation import evaluate
from recommender.incremental import train_incremental
from recommender.likelihood import markov_likelihood, radio_likelihood
from recommender.parts import COMPONENTS, CONTEXTS, use_blend
from recommender.player_data import PlayerDataError, open_player_data, plugin_context
from recommender.plugin import RecommenderPlugin
from recommender.radio.preview import add_command as add_radio_command
from recommender.recommender import Recommender
from recommender.scoring import SessionScorer
from recommender.sessions import SessionFormatError, TrainingSession, item_ids, read_sessions
from recommender.tags import ItemsFormatError, ItemTags, read_items

log = logging.getLogger(__name__)

BASELINES = ("pop", "markov", "sknn")
MODELS = (*CELLS, *BASELINES)


class _Parser(argparse.ArgumentParser):
    """Reports a bad command line as one ``error: ...`` line (exit 2), not usage plus a message."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def positive_int(text: str) -> int:
    """An argparse type: an integer of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = _Parser(prog="segue-recommender", description="Segue's next-track recommender.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_evaluate(subparsers)
    _add_train(subparsers)
    add_radio_command(subparsers)
    return parser


def _add_train(subparsers: Any) -> None:
    train = subparsers.add_parser("train", help="train the radio's model on your listening history")
    train.add_argument("--data-dir", type=Path, default=None, help="Segue's data folder")
    train.add_argument(
        "--full", action="store_true", help="retrain from all history instead of new sessions"
    )
    train.set_defaults(func=run_train)


def _add_evaluate(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="next-track evaluation (every prefix of every test session; README: "
        "'The recommender, measured')",
        description="Train on --train, then rank every training item after every prefix of "
        "every --test session (ties count against the model).",
    )
    p.add_argument("--train", type=Path, required=True, help=".txt or .tsv sessions")
    p.add_argument("--test", type=Path, required=True, help=".txt or .tsv sessions")
    p.add_argument("--model", choices=MODELS, default="gru", help="default: gru (the RNN)")
    p.add_argument(
        "--predictions",
        type=Path,
        metavar="OUT",
        help="write the top 20 ids per evaluated position, one line each",
    )
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument(
        "--incremental",
        action="store_true",
        help="train_full on the first 80%% of --train, update() with the rest in "
        "chunks of 50 sessions, then evaluate",
    )
    p.add_argument(
        "--items",
        type=Path,
        metavar="FILE",
        help="TSV of track tags: ItemId plus any of Artist, AlbumArtist, Album, Title, "
        "TrackNumber, DiscNumber, Year, Genre, Duration",
    )
    p.add_argument(
        "--likelihood",
        action="store_true",
        help="also report the mean log-probability and probability of the real next tracks "
        "under radio's distribution (default adventurousness), beside add-one Markov",
    )
    p.add_argument(
        "--model-only",
        action="store_true",
        help="the RNN alone, without the history parts it is blended with on small histories",
    )
    p.add_argument("--epochs", type=positive_int, help="override the adapted number of epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        help="torch threads (default 1: on a shared 2-core box a second thread "
        "mostly spins; use 2 on an idle machine)",
    )
    p.set_defaults(func=run_evaluate)


def _scorer(
    args: argparse.Namespace,
    train: Sequence[TrainingSession],
    figures: dict[str, Any],
    tags: dict[int, ItemTags],
) -> SessionScorer | Blend:
    if args.model == "pop":
        return PopularityScorer(train)
    if args.model == "markov":
        return MarkovScorer(train)
    if args.model == "sknn":
        return SessionKNNScorer(train, k=50, sample_size=500)
    overrides: dict[str, Any] = {"cell": args.model, "seed": args.seed}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    config = ModelConfig.for_data(len(train), len(item_ids(train)), **overrides)
    blend = use_blend(len(train)) and not args.model_only
    figures["blend"] = blend
    if args.incremental:
        seen: list[tuple[np.ndarray, np.ndarray]] = []

        def observe(
            rec: Recommender, history: Sequence[TrainingSession], new: Sequence[TrainingSession]
        ) -> None:  # the app's evidence: a closed session scored before it is learned
            weights = fit_weights(*_joined(seen)) if seen else _per_context(DEFAULT_WEIGHTS)
            early = Blend.build(rec, history, tags, weights)
            seen.append(early.evidence([s.items for s in new]))

        run = train_incremental(
            train,
            config,
            progress=_progress(args.verbose),
            observe=observe if blend else None,
        )
        updates = sorted(run.update_seconds)
        figures["full_train_seconds"] = round(run.full_seconds, 1)
        figures["updates"] = len(updates)
        if updates:
            figures["update_seconds_mean"] = round(sum(updates) / len(updates), 3)
            figures["update_seconds_max"] = round(updates[-1], 3)
        if blend:
            weights = fit_weights(*_joined(seen)) if seen else DEFAULT_WEIGHTS
            return Blend.build(run.recommender, train, tags, _per_context(weights))
        return run.recommender
    if blend:
        return Blend.train(train, config, tags=tags, progress=_progress(args.verbose))
    return Recommender.train_full(train, config, progress=_progress(args.verbose))


def _joined(seen: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([e for e, _ in seen]), np.concatenate([c for _, c in seen])


def _per_context(weights: Any) -> np.ndarray:
    return np.broadcast_to(np.asarray(weights, dtype=np.float64), (len(CONTEXTS), len(COMPONENTS)))


def _progress(verbose: bool) -> Any:
    if not verbose:
        return None

    def report(done: int, total: int, message: str) -> None:
        log.info("%s: %d/%d", message, done, total)

    return report


def run_evaluate(args: argparse.Namespace) -> int:
    """The ``evaluate`` subcommand; returns the exit status."""
    if args.incremental and args.model in BASELINES:
        print("error: --incremental applies to the RNN models only", file=sys.stderr)
        return 2
    if args.likelihood and args.model in BASELINES:
        print("error: --likelihood applies to the RNN models only (radio samples from them)",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.predictions is not None and (problem := _unwritable(args.predictions)):
        reason, status = problem
        print(f"error: --predictions {args.predictions}: {reason}", file=sys.stderr)
        return status
    torch.set_num_threads(args.threads)
    try:
        train = read_sessions(args.train)
        test = [s.items for s in read_sessions(args.test)]
        tags = read_items(args.items) if args.items is not None else {}
    except (OSError, SessionFormatError, ItemsFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not any(len(items) >= 2 for items in test):
        print(f"error: {args.test}: no session of two tracks or more: nothing to predict",
              file=sys.stderr)  # fmt: skip
        return 2
    figures: dict[str, Any] = {"model": args.model, "incremental": bool(args.incremental)}
    start = time.perf_counter()
    scorer = _scorer(args, train, figures, tags)
    figures["train_seconds"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    if args.predictions is not None:
        try:
            with args.predictions.open("w", encoding="utf-8") as out:
                metrics = evaluate(scorer, test, predictions=out)
        except OSError as exc:
            print(f"error: cannot write {args.predictions}: {exc}", file=sys.stderr)
            return 1
    else:
        metrics = evaluate(scorer, test)
    figures["eval_seconds"] = round(time.perf_counter() - start, 1)
    figures.update(metrics.to_dict())
    if isinstance(scorer, Blend | Recommender) and args.likelihood:
        figures.update(radio_likelihood(scorer, train, test, tags).to_dict("radio_"))
        figures.update(markov_likelihood(train, test).to_dict("markov_"))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if args.json:
        print(json.dumps(figures))
    else:
        for key in ("HR@20", "MRR@20", "HR@10", "MRR@10"):
            print(f"{key:<8} {figures[key]:.4f}")
        for key, value in figures.items():
            if not key.startswith(("HR@", "MRR@")):
                print(f"{key:<8} {value}")
    return 0


def _unwritable(path: Path) -> tuple[str, int] | None:
    """Why ``path`` cannot be written, and the exit code; checked before training, not after."""
    if path.is_dir():
        return "is a folder", 2
    parent = path.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist", 2
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "permission denied", 1
    return None


_BAR_WIDTH = 30


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
    data_dir, db, history = open_player_data(args.data_dir)
    try:
        sessions = history.closed_sessions_since(0)
        if not sessions:
            print("No closed listening sessions yet: nothing to train on (radio uses the "
                  "library's structure until then).")  # fmt: skip
            return 0
        plugin = RecommenderPlugin()
        stop = threading.Event()
        plugin.load(plugin_context(data_dir, db, history, stop))
        bar = _Bar()
        full = args.full or plugin.model is None
        try:
            result = plugin.train(sessions, full=full, progress=bar)
        except KeyboardInterrupt:
            stop.set()
            bar.close()
            print("Cancelled; the previous model is kept.", file=sys.stderr)
            return 130
        if not result.trained and not plugin.write_errors:  # the same words as the window's
            print(f"Nothing trained: {result.message}.")
            return 0
        bar.close()
        plugin.save_state()
        if plugin.write_errors:  # learning's own errors too (a full disk in the child)
            for message in plugin.write_errors:
                print(f"error: {message}", file=sys.stderr)
            return 1
        model = plugin.model
        tracks = len(model.vocab) - 1 if model is not None else 0
        print(f"{'Full' if full else 'Incremental'} training done: {result.sessions} sessions, "
              f"{tracks} tracks, checkpoint in {plugin.models_dir}")  # fmt: skip
        return 0
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``segue-recommender``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # -v: progress, not migration chatter
    try:
        result: int = args.func(args)
    except PlayerDataError as error:  # train, radio: the player's data could not be opened
        print(f"error: {error}", file=sys.stderr)
        return error.status
    return result
