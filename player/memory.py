"""Handing memory freed by a big one-off job (loading the library, a scan) back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError):  # a C library without it (musl)
        return None
    return trim


def release_freed_memory() -> None:
    """Give the pages ``free`` keeps for reuse back to the system (glibc's ``malloc_trim``).

    Loading 500,000 tracks frees tens of MB of buffers and copies that glibc would otherwise
    keep in the process for good (bench/NOTES.md). Elsewhere it does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        released = trim(0)
        log.debug("malloc_trim released memory: %s", bool(released))
