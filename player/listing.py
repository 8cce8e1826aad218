"""Listing the audio files of music folders, or at given paths, for a scan: path, size, mtime
and the folder's cover image; what could not be read is reported by path and reason."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from player.covers import IMAGE_SUFFIXES, find_folder_cover
from player.tags import AUDIO_SUFFIXES

log = logging.getLogger(__name__)


class Outcome(Protocol):
    """Where a listing records failures and a cancel (``player.scanner.ScanReport`` fits)."""

    failed: list[tuple[str, str]]
    cancelled: bool


Notify = Callable[[int, int, str], None]  # (files found, 0, folder) while listing


@dataclass(slots=True)
class Found:
    """An audio file found: its path, size, mtime and its folder's cover image."""

    path: str
    size: int
    mtime: float
    cover: str | None


def under(path: str, prefixes: Sequence[str]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or lies inside one."""
    return any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)


def walk(
    roots: Sequence[str], report: Outcome, notify: Notify, stop: Callable[[], bool]
) -> tuple[list[Found], list[str]]:
    """List audio files under ``roots``; returns them and the folders that could not be read."""
    found: list[Found] = []
    blind: list[str] = []
    visited: dict[tuple[int, int], str] = {}
    stack = list(reversed(roots))
    while stack:
        if stop():
            report.cancelled = True
            break
        folder = stack.pop()
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in visited:
                reason = f"symlink loop or duplicate folder: already scanned as {visited[key]!r}"
                log.warning("Skipping %r: %s", folder, reason)
                report.failed.append((folder, reason))
                continue
            visited[key] = folder
            with os.scandir(folder) as entries:
                listing = list(entries)
        except OSError as error:
            reason = _folder_error(error)
            log.warning("Cannot scan folder %r: %s", folder, reason)
            report.failed.append((folder, reason))
            blind.append(folder)
            continue
        notify(len(found), 0, folder)
        names: list[str] = []
        files: list[os.DirEntry[str]] = []
        subfolders: list[str] = []
        for entry in listing:
            name = entry.name
            suffix = os.path.splitext(name)[1].lower()
            if suffix in AUDIO_SUFFIXES and not name.startswith("._"):
                files.append(entry)
            elif suffix in IMAGE_SUFFIXES:
                names.append(name)
            elif not name.startswith(".") and _is_dir(entry, report):
                subfolders.append(entry.path)
        stack.extend(sorted(subfolders, reverse=True))
        cover = find_folder_cover(folder, names) if names else None
        for entry in sorted(files, key=lambda e: e.name):
            try:
                st = entry.stat()
            except OSError as error:
                reason = _file_error(error)
                log.warning("Cannot read %r: %s", entry.path, reason)
                report.failed.append((entry.path, reason))
                continue
            if not _is_regular(st.st_mode):
                continue
            found.append(Found(entry.path, st.st_size, st.st_mtime, cover))
    return found, blind


def targets(roots: Sequence[str], paths: Sequence[Path]) -> list[str]:
    """The outermost of ``paths`` that lie in a present root, outside hidden folders."""
    present = [root for root in roots if os.path.isdir(root)]
    inside: list[str] = []
    for path in paths:
        target = os.path.abspath(os.fspath(path))
        root = next((r for r in present if under(target, [r])), None)
        if root is None:
            continue
        relative = os.path.relpath(target, root)
        if relative != "." and any(part.startswith(".") for part in relative.split(os.sep)):
            continue
        inside.append(target)
    outermost: list[str] = []
    for target in sorted(set(inside)):
        if not outermost or not under(target, [outermost[-1]]):
            outermost.append(target)
    return outermost


def list_paths(
    targets: Sequence[str], report: Outcome, notify: Notify, stop: Callable[[], bool]
) -> tuple[list[Found], list[str]]:
    """List the audio files at ``targets`` (folders are walked); a vanished target lists nothing.

    Returns the files and the targets that could not be read.
    """
    found: list[Found] = []
    blind: list[str] = []
    folders: list[str] = []
    covers: dict[str, str | None] = {}
    for target in targets:
        try:
            st = os.stat(target)
        except FileNotFoundError:
            continue  # gone: its tracks are marked missing, or followed to where they moved
        except OSError as error:
            reason = _file_error(error)
            log.warning("Cannot read %r: %s", target, reason)
            report.failed.append((target, reason))
            blind.append(target)
            continue
        name = os.path.basename(target)
        if stat.S_ISDIR(st.st_mode):
            folders.append(target)
        elif _is_regular(st.st_mode) and _is_audio_name(name):
            folder = os.path.dirname(target)
            if folder not in covers:
                covers[folder] = _folder_cover(folder)
            found.append(Found(target, st.st_size, st.st_mtime, covers[folder]))
    if folders:
        more, unreadable = walk(folders, report, notify, stop)
        found += more
        blind += unreadable
    return found, blind


def _is_audio_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in AUDIO_SUFFIXES and not name.startswith("._")


def _folder_cover(folder: str) -> str | None:
    """The cover image of ``folder`` (as a walk would find it), None when it has none."""
    try:
        with os.scandir(folder) as entries:
            names = [
                e.name for e in entries if os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES
            ]
    except OSError:
        return None
    return find_folder_cover(folder, names) if names else None


def _is_dir(entry: os.DirEntry[str], report: Outcome) -> bool:
    try:
        return entry.is_dir()
    except OSError as error:
        report.failed.append((entry.path, _file_error(error)))
        return False


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def _folder_error(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "folder not found (its tracks were left as they were)"
    if isinstance(error, PermissionError):
        return "cannot read folder: permission denied (its tracks were left as they were)"
    return f"cannot read folder: {error.strerror or error} (its tracks were left as they were)"


def _file_error(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "file disappeared or is a broken link"
    if error.errno is not None and error.errno == 40:  # ELOOP
        return "symlink loop"
    return f"cannot read: {error.strerror or error}"
