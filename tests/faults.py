"""Fault injection for tests: kill a real process at a chosen point, fill its disk, lock a folder.

What works without root, and how to use it:

- :func:`run_segue` runs ``python -m player ARGS`` in a fresh interpreter (the real CLI).
- :func:`start_until` starts the same command but stops it, frozen, the ``nth`` time a Python
  function is entered (``"module:Qualified.name"``); the caller then has the live process and
  usually ends it with ``SIGKILL`` (:meth:`Paused.kill`), exactly like a crash or ``kill -9``
  at that point. Nothing in the product knows about it: a profile hook (``sys.setprofile``,
  also on threads) watches calls in the child and signals the parent through a pipe.
- :func:`full_disk` gives a child process a file-size limit (``RLIMIT_FSIZE``): a write past
  it fails with ``EFBIG`` like a full disk would (``SIGXFSZ`` is ignored so the write errors
  instead of killing the process).
- :func:`read_only` makes a folder read-only for the duration of a ``with`` block.
- :func:`wait_for` waits for a condition another process brings about, with a deadline (the
  deadline is a hang guard, never a time being tested).
"""

from __future__ import annotations

import os
import resource
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Generous: these guard against hangs, they do not measure anything.
DEADLINE_S = 60.0

_PAUSE_PRELUDE = r"""
import os, runpy, signal, sys, threading
module, qualname, nth, fd = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.argv = ["segue", *sys.argv[5:]]
seen = [0]

def hook(frame, event, arg):
    if event != "call" or frame.f_code.co_qualname != qualname:
        return
    if frame.f_globals.get("__name__") != module:
        return
    seen[0] += 1
    if seen[0] == nth:
        os.write(fd, b"reached\n")
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        threading.Event().wait()  # frozen here until the parent kills us

threading.setprofile(hook)
sys.setprofile(hook)
runpy.run_module("player", run_name="__main__", alter_sys=True)
"""


def segue_env(**extra: str) -> dict[str, str]:
    """The environment for a child ``segue``: offscreen Qt, no session bus, ``extra`` on top."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.update(extra)
    return env


def run_segue(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = DEADLINE_S,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m player ARGS`` to the end and return what it printed (``preexec_fn``:
    e.g. :func:`full_disk`'s)."""
    return subprocess.run(
        [sys.executable, "-m", "player", *args],
        capture_output=True, text=True, env=env or segue_env(), timeout=timeout,
        preexec_fn=preexec_fn,
    )  # fmt: skip


def start_segue(args: Sequence[str], *, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -m player ARGS`` without waiting (stdout and stderr are pipes)."""
    return subprocess.Popen(
        [sys.executable, "-m", "player", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or segue_env(),
    )  # fmt: skip


@dataclass
class Paused:
    """A ``segue`` process frozen at the requested point (or finished before reaching it)."""

    process: subprocess.Popen[str]
    reached: bool

    def kill(self) -> None:
        """``kill -9`` it and reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.communicate(timeout=DEADLINE_S)


def start_until(
    point: str, args: Sequence[str], *, nth: int = 1, env: dict[str, str] | None = None
) -> Paused:
    """Start ``python -m player ARGS`` and return once it enters ``point`` the ``nth`` time.

    Args:
        point: ``"package.module:Qualified.name"`` of a Python function (not a C builtin).
        args: The ``segue`` arguments.
        nth: Which call to stop at (1 = the first).
        env: The child's environment (default :func:`segue_env`).

    Returns:
        The frozen process; ``reached`` is False if it exited without getting there.
    """
    module, qualname = point.split(":")
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _PAUSE_PRELUDE, module, qualname, str(nth), str(write_end),
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or segue_env(),
            pass_fds=(write_end,),
        )  # fmt: skip
        os.close(write_end)
        ready, _, _ = select.select([read_end], [], [], DEADLINE_S)
        data = os.read(read_end, 64) if ready else b""
    finally:
        os.close(read_end)
    return Paused(process, data.startswith(b"reached"))


@contextmanager
def full_disk(limit_bytes: int) -> Iterator[Callable[[], None]]:
    """A ``preexec_fn`` for ``subprocess``: files the child writes cannot grow past the limit.

    Usage: ``with full_disk(64_000) as limit: subprocess.run(..., preexec_fn=limit)``.
    """

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    yield apply


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """Make ``folder`` read-only (r-x) inside the block; its mode is restored afterwards."""
    mode = folder.stat().st_mode
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        yield folder
    finally:
        folder.chmod(mode)


def wait_for(condition: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    """Return once ``condition()`` holds; fail the test if it does not within the deadline."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
