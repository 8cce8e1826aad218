"""The learning process: reads a job, learns, writes the checkpoint, reports in JSON lines.

Run by :func:`recommender.learn_process.learn_in_child` as ``python -m recommender.learn_child
<job.json>``. Its stdout carries the protocol alone: ``{"progress": [done, total, message]}``
lines, then one ``{"result": {"learned", "message", "cursor"}}``; its log goes to stderr, which
the player's log takes in.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import IO, Any

import numpy as np
import torch

from recommender.checkpoint import (
    MOMENTS_FILE,
    CheckpointError,
    load_moments,
    load_recommender,
    save_moments,
    save_recommender,
)
from recommender.learn_process import LOG_FORMAT, LearnJob
from recommender.learning import fine_tuned, fitted

#: Named, not ``__name__``: run with ``-m`` this module is ``__main__``.
log = logging.getLogger("recommender.learn_child")

#: The learning process's niceness: learning gives way to playback and the window.
NICE = 10


def main(argv: Sequence[str] | None = None) -> int:
    """Read the job, learn, save, report. Exit status 0 when the result says what happened,
    1 when learning raised (the result says so, the traceback is in the log), 2 for a bad job."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = _protocol_stream()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=LOG_FORMAT)
    if len(args) != 1:
        log.error("usage: python -m recommender.learn_child JOB.json")
        return 2
    if hasattr(os, "nice"):
        with suppress(OSError):  # not allowed here: learn at the usual priority
            os.nice(NICE)
    ending = _Ending()
    signal.signal(signal.SIGTERM, ending)
    threading.Thread(target=_end_with_the_player, daemon=True).start()
    try:
        with Path(args[0]).open(encoding="utf-8") as lines:
            job = LearnJob.read(lines)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        _send(out, {"result": {"learned": False, "message": f"unreadable job {args[0]}: {exc}"}})
        return 2
    try:
        result = _learn(job, out, ending)
    except MemoryError:
        result = {
            "learned": False,
            "message": f"not enough memory to learn from {len(job.sessions):,} sessions",
        }
    except Exception as exc:  # reported to the parent in words, traceback in its log
        log.exception("learning failed")
        _send(out, {"result": {"learned": False, "message": f"learning failed: {exc}"}})
        return 1
    if result is not None:
        _send(out, {"result": result})
    return 0


def _learn(job: LearnJob, out: IO[str], ending: _Ending) -> dict[str, Any] | None:
    """Learn ``job``; the result to report, or None when it was reported already."""
    torch.set_num_threads(job.threads)

    def report(done: int, total: int, message: str) -> None:
        _send(out, {"progress": [done, total, message]})

    if job.kind == "full":
        rec = fitted(job.sessions, job.overrides, report, None, job.tags)
        assert rec is not None  # None only when asked to stop, and the parent ends us instead
    else:
        try:
            rec = load_recommender(job.checkpoint_dir)
        except (CheckpointError, OSError) as exc:
            return {"learned": False, "message": f"could not read the model to update: {exc}"}
        if not load_moments(rec, job.checkpoint_dir):
            log.info("the update starts a fresh optimizer")
        rng = np.random.default_rng(job.seed)
        rec.seed_updates(int(rng.integers(2**31 - 1)))
        new = job.sessions[len(job.sessions) - job.new_count :]
        fine_tuned(rec, new, job.sessions, rng, report, None)
    rec.add_tracks(job.library)
    with ending.held():
        try:
            save_recommender(rec, job.out_dir)
        except OSError as exc:
            return {
                "learned": False,
                "message": f"could not write the checkpoint to {job.out_dir}: {exc}",
            }
        try:
            if job.kind == "update":
                save_moments(rec, job.out_dir)
            else:  # an older model's moments: the next update starts fresh on this one
                (job.out_dir / MOMENTS_FILE).unlink(missing_ok=True)
        except OSError as exc:  # the model is saved; the next update starts a fresh optimizer
            log.warning("could not write the optimizer's moments to %s: %s", job.out_dir, exc)
        _send(out, {"result": {"learned": True, "message": "", "cursor": rec.cursor}})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    log.info("learned %s in %.1f s of CPU, at most %d MB resident", job.kind,
             time.process_time(), peak_mb)  # fmt: skip
    return None


class _Ending:
    """SIGTERM ends the child at once, except while it saves and reports (held until then), so
    a parent that cancels late never hears "cancelled" about a checkpoint that was written."""

    def __init__(self) -> None:
        self._holding = False
        self._pending = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self._holding:
            self._pending = True
            return
        raise SystemExit(128 + signum)

    @contextmanager
    def held(self) -> Iterator[None]:
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            if self._pending:
                raise SystemExit(128 + signal.SIGTERM)


def _end_with_the_player() -> None:
    """The player holds our stdin open until we end; at its end (even a crash) the pipe closes
    and learning stops as on a cancel, so no orphan writes the checkpoint after a new player
    has started learning into it too."""
    sys.stdin.buffer.read()
    os.kill(os.getpid(), signal.SIGTERM)


def _protocol_stream() -> IO[str]:
    """The real stdout, for the protocol's lines alone: file descriptor 1 is pointed at stderr,
    so a library's stray print cannot break a line the parent reads."""
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    return stream


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


if __name__ == "__main__":
    raise SystemExit(main())
