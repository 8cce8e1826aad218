"""Advisory file locks (``fcntl.flock``) that let several Segue processes share one data folder.

A lock is tied to an open file, so the kernel releases it when the process dies, even by
``kill -9``: a stale lock file on disk never blocks anyone. The lock files themselves are left
in place (deleting one would race with a process about to lock it).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

#: How often a waiter that can be cancelled looks at its ``should_stop``.
POLL_S = 0.05


class LockCancelled(Exception):
    """``should_stop`` returned True while waiting for the lock."""


def scan_lock_path(db_path: Path) -> Path:
    """The lock file a scan (or an import) of the library at ``db_path`` holds while it runs."""
    return db_path.with_name(db_path.name + ".scan.lock")


@contextmanager
def exclusive_lock(
    path: Path,
    *,
    waiting: str,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block.

    Args:
        path: The lock file.
        waiting: Logged once (INFO) when another process holds the lock and we wait for it.
        should_stop: When given, the wait polls and raises ``LockCancelled`` once it returns
            True; otherwise the wait blocks until the lock is free.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("%s", waiting)
            if should_stop is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                while True:
                    if should_stop():
                        raise LockCancelled(waiting) from None
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        time.sleep(POLL_S)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


class HeldLock:
    """An exclusive lock held until ``release()`` (or until the process ends)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        """Let the lock go (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def try_lock(path: Path) -> HeldLock | None:
    """Lock ``path`` (created if missing) without waiting; None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return HeldLock(fd)
