"""Freed memory goes back to the system after a big one-off job (issue 29)."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import pytest

from player.memory import _malloc_trim, release_freed_memory


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_pages_freed_in_the_middle_of_the_heap_are_handed_back() -> None:
    assert _malloc_trim() is not None
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4000) for _ in range(40_000)]  # 160 MB in small blocks
    for block in blocks:
        ctypes.memset(block, 1, 4000)  # touched: resident
    for block in blocks[:-1]:  # the last one keeps the heap's top from shrinking by itself
        libc.free(block)
    before = _rss_mb()
    release_freed_memory()
    assert before - _rss_mb() > 100
    libc.free(blocks[-1])
