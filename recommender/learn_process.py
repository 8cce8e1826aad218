"""Learning in a child process, the player's side: the job, its outcome, and the run that waits.

torch costs the process that imports it about 210 MB resident, so the player's process never
does: a full training or an update runs in ``python -m recommender.learn_child <job.json>``
(:mod:`recommender.learn_child`), which writes the learned model as a checkpoint (atomic) and
reports its cursor. Importing this module and calling :func:`learn_in_child` pulls no torch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from player.plugin_api import StopCheck
from recommender.learning import Report
from recommender.sessions import TrainingSession
from recommender.tags import ItemTags, Tagged

log = logging.getLogger(__name__)

KINDS = ("full", "update")
#: What the child runs (:mod:`recommender.learn_child`).
CHILD_MODULE = "recommender.learn_child"
#: How often the parent asks ``should_stop`` while the child learns (seconds).
POLL_SECONDS = 0.1
#: How long a cancelled child has to end after SIGTERM before it is killed (seconds).
TERMINATE_SECONDS = 5.0
#: Lines of the child's stderr kept to explain a crash.
TAIL_LINES = 20
#: How the child's log lines start; the parent logs each at the level it names.
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
_LEVELS = {name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR")}
_TAG_FIELDS = tuple(f.name for f in dataclasses.fields(ItemTags))
#: The folder that holds the ``recommender`` package.
_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LearnJob:
    """What the child learns, from what, and where it writes the result.

    Attributes:
        kind: ``"full"`` (fit from scratch on ``sessions``) or ``"update"`` (fine-tune the model
            in ``checkpoint_dir`` on the last ``new_count`` sessions, older ones replayed).
        checkpoint_dir: The live checkpoint, read by ``"update"`` with the optimizer moments
            saved beside it (:func:`recommender.checkpoint.load_moments`).
        out_dir: Where the learned model is written (atomic: a failure keeps what was there),
            with an update's moments beside it (a full training removes older ones).
        sessions: The whole history, oldest first.
        new_count: ``"update"``: how many of the last sessions are new.
        overrides: ModelConfig fields forced on a full training (tests use tiny models).
        tags: The library's tags by track id, read by a full training's blend (an update does
            not read them, so they are not sent with one).
        library: Track ids the saved vocabulary is grown to.
        seed: Seeds an update's replay choice and batch order.
        threads: torch threads in the child.
    """

    kind: str
    checkpoint_dir: Path
    out_dir: Path
    sessions: Sequence[TrainingSession]
    new_count: int = 0
    overrides: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[int, Tagged] = field(default_factory=dict)
    library: Sequence[int] = ()
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "update" and not 0 < self.new_count <= len(self.sessions):
            raise ValueError(f"new_count {self.new_count} of {len(self.sessions)} sessions")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, not {self.threads}")

    def write(self, out: IO[str]) -> None:
        """Write the job as JSON lines: a head, then a line per session (``[items, weights or
        null]``), per tagged track (``[id, *fields]``) and one for the library, so the job is
        never held twice in the player's memory."""
        tags = self.tags if self.kind == "full" else {}
        head = {
            "kind": self.kind,
            "checkpoint_dir": str(self.checkpoint_dir),
            "out_dir": str(self.out_dir),
            "new_count": self.new_count,
            "overrides": dict(self.overrides),
            "seed": self.seed,
            "threads": self.threads,
            "sessions": len(self.sessions),
            "tags": len(tags),
            "tag_fields": _TAG_FIELDS,
        }
        out.write(json.dumps(head) + "\n")
        for session in self.sessions:
            out.write(json.dumps([session.items, session.weights]) + "\n")
        for track_id, track in tags.items():
            out.write(json.dumps([track_id, *(getattr(track, f) for f in _TAG_FIELDS)]) + "\n")
        out.write(json.dumps([int(t) for t in self.library]) + "\n")

    @classmethod
    def read(cls, lines: Iterable[str]) -> LearnJob:
        """Inverse of :meth:`write`.

        Raises:
            KeyError, TypeError, ValueError: Not a job :meth:`write` wrote (or cut short).
        """
        rows = (json.loads(line) for line in lines)
        try:
            head = next(rows)
            if list(head["tag_fields"]) != list(_TAG_FIELDS):
                raise ValueError(f"tag fields {head['tag_fields']} are not {list(_TAG_FIELDS)}")
            sessions = [_session(*next(rows)) for _ in range(int(head["sessions"]))]
            tags = {int(row[0]): ItemTags(*row[1:]) for row in _taken(rows, int(head["tags"]))}
            library = [int(t) for t in next(rows)]
        except StopIteration:
            raise ValueError("the job ends early") from None
        return cls(
            kind=str(head["kind"]),
            checkpoint_dir=Path(head["checkpoint_dir"]),
            out_dir=Path(head["out_dir"]),
            sessions=sessions,
            new_count=int(head["new_count"]),
            overrides=dict(head["overrides"]),
            tags=tags,
            library=library,
            seed=int(head["seed"]),
            threads=int(head["threads"]),
        )


def _session(items: Sequence[int], weights: Sequence[float] | None) -> TrainingSession:
    return TrainingSession(
        tuple(int(i) for i in items), None if weights is None else tuple(float(w) for w in weights)
    )


def _taken(rows: Iterator[Any], count: int) -> Iterator[Any]:
    for _ in range(count):
        yield next(rows)


@dataclass(frozen=True)
class LearnOutcome:
    """What a child's learning did.

    Attributes:
        learned: A new checkpoint is in the job's ``out_dir``.
        message: ``""`` when learned, ``"cancelled"``, or what went wrong in plain words.
        cursor: The new model's cursor (``sessions_seen``, ``full_at``, ``blend_weights``...).
    """

    learned: bool
    message: str = ""
    cursor: dict[str, Any] = field(default_factory=dict)


def learn_in_child(
    job: LearnJob, progress: Report | None = None, should_stop: StopCheck | None = None
) -> LearnOutcome:
    """Run ``job`` in a child process and wait for it, on the calling thread.

    ``progress(done, total, message)`` is called here with the child's progress; ``should_stop``
    is asked every :data:`POLL_SECONDS` and, when true, the child is ended. A cancelled, failed
    or killed child leaves ``out_dir`` as it was and gives ``learned=False`` with a message;
    this never raises for those (only for a mistake in the caller, such as a progress callback
    that raises).
    """
    try:
        job_file = _write_job(job)
    except OSError as exc:
        return _failed(f"could not write the learning job beside {job.out_dir}: {exc}")
    started = time.monotonic()
    try:
        outcome = _run_child(job_file, progress, should_stop)
    finally:
        job_file.unlink(missing_ok=True)
    if outcome.learned:
        seconds = time.monotonic() - started
        log.info("learned (%s, %d sessions) in a child process in %.1f s", job.kind,
                 len(job.sessions), seconds)  # fmt: skip
    return outcome


def _write_job(job: LearnJob) -> Path:
    folder = job.out_dir.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".learn-job-", suffix=".json", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            job.write(out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _run_child(
    job_file: Path, progress: Report | None, should_stop: StopCheck | None
) -> LearnOutcome:
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, str(job_file)],
            stdin=subprocess.PIPE,  # never written: it closes when this process ends
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_child_environment(),
        )
    except OSError as exc:
        return _failed(f"could not start the learning process: {exc}")
    assert child.stdout is not None and child.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    readers = [
        threading.Thread(target=_pump, args=(child.stdout, lines), daemon=True),
        threading.Thread(target=_forward, args=(child.stderr, tail), daemon=True),
    ]
    for reader in readers:
        reader.start()
    result: dict[str, Any] | None = None
    cancelled = False
    try:
        while True:
            if not cancelled and should_stop is not None and should_stop():
                cancelled = True
                _end(child)
            try:
                line = lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if line is None:
                break
            message = _parsed(line)
            if "result" in message:
                result = message["result"]
            elif "progress" in message and progress is not None and not cancelled:
                done, total, text = message["progress"]
                progress(int(done), int(total), str(text))
    except BaseException:  # the caller's mistake (a progress callback raised): end the child
        _end(child)
        raise
    finally:
        for reader in readers:
            reader.join()
        status = child.wait()  # after the last line: the child may be running atexit hooks
        if child.stdin is not None:
            child.stdin.close()
    return _outcome(result, cancelled, status, tail)


def _child_environment() -> dict[str, str]:
    """This process's environment; from a source tree (not installed), with the tree on the
    child's path so it runs the same code (an installed package is found as it is)."""
    env = dict(os.environ)
    if _ROOT.name not in ("site-packages", "dist-packages"):  # never ahead of the stdlib
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    return env


def _outcome(
    result: dict[str, Any] | None, cancelled: bool, status: int, tail: Sequence[str]
) -> LearnOutcome:
    # A result wins over a cancel: the child holds off termination while it saves and reports.
    if result is not None:
        outcome = LearnOutcome(
            bool(result.get("learned")), str(result.get("message", "")), result.get("cursor") or {}
        )
        if not outcome.learned:
            log.warning("learning did not finish: %s", outcome.message)
        return outcome
    if cancelled:
        log.info("learning cancelled; the learning process was ended")
        return LearnOutcome(False, "cancelled")
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return _failed(f"the learning process was killed ({name}), perhaps for lack of memory")
    last = next((line for line in reversed(tail) if line.strip()), "no message")
    return _failed(f"the learning process failed (exit status {status}): {last}")


def _failed(message: str) -> LearnOutcome:
    log.warning("learning did not finish: %s", message)
    return LearnOutcome(False, message)


def _end(child: subprocess.Popen[str]) -> None:
    """Terminate ``child``; kill it if it has not ended after :data:`TERMINATE_SECONDS`."""
    child.terminate()
    try:
        child.wait(TERMINATE_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("the learning process did not end when asked; killing it")
        child.kill()
        child.wait()


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _forward(stream: IO[str], tail: deque[str]) -> None:
    """The child's log lines into this process's log, at the level each names."""
    for raw in stream:
        line = raw.rstrip("\n")
        tail.append(line)
        word, _, rest = line.partition(" ")
        level = _LEVELS.get(word)
        log.log(level or logging.INFO, "learning: %s", rest if level else line)


def _parsed(line: str) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        message = None
    if not isinstance(message, dict):
        log.info("learning: %s", line.rstrip("\n"))
        return {}
    return message
