"""``segue import``: run an import from the command line and print what it did."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from player.db.engine import Database
from player.history_import.report import ImportSummary, write_report
from player.history_import.store import (
    ImportCancelled,
    ImportFailed,
    ImportProgress,
    import_history,
)

log = logging.getLogger(__name__)

#: Entries with errors named on stderr; the rest are counted (the report lists every one).
SHOWN_ERRORS = 10


def run_import(
    db: Database, paths: Sequence[Path], *, report: Path | None, as_json: bool, dry_run: bool
) -> int:
    """Import ``paths`` into ``db``; returns the exit code.

    0 when anything could be read (bad files and rows are named on stderr), 2 when nothing
    could, 1 when the library could not be written (nothing of the import is kept) or Ctrl+C.
    """
    try:  # opened first: a report that cannot be written stops before anything is imported
        out = report.open("w", encoding="utf-8", newline="") if report else None
    except OSError as error:
        print(f"error: cannot write the report {report}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        return _run(db, paths, out, as_json=as_json, dry_run=dry_run)
    finally:
        if out is not None:
            out.close()


def _run(
    db: Database, paths: Sequence[Path], out: IO[str] | None, *, as_json: bool, dry_run: bool
) -> int:
    interrupted: list[bool] = []

    def on_interrupt(_signum: int, _frame: FrameType | None) -> None:
        interrupted.append(True)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    show = ImportProgressPrinter() if sys.stderr.isatty() else None
    try:
        summary, stage = import_history(
            db, paths, dry_run=dry_run, progress=show, should_stop=lambda: bool(interrupted)
        )
    except ImportCancelled:
        print("error: import cancelled; nothing was written", file=sys.stderr)
        return 1
    except ImportFailed as error:
        log.warning("import failed: %s", error, exc_info=True)  # the log file only
        print(f"error: {error}; nothing of this import was kept", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
        if show is not None:
            print(file=sys.stderr)
    try:
        for problem in summary.problems:
            print(f"error: {problem}", file=sys.stderr)
        _print_row_errors(stage.rows())
        if out is not None:
            write_report(stage, out)
    finally:
        stage.close()
    if as_json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        _print_summary(summary)
    if summary.entries - summary.error == 0:
        if not summary.problems:
            print("error: no listening history found in " + ", ".join(map(str, paths)),
                  file=sys.stderr)  # fmt: skip
        return 2
    return 0


class ImportProgressPrinter:
    """Rewrites one status line on stderr, at most twice a second."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        share = 100 * progress.done // max(progress.total, 1)
        text = f"{progress.text}: {share}%"
        print(f"\r{text[-78:]:<78}", end="", file=sys.stderr, flush=True)


def _print_row_errors(rows: Iterable[tuple[Any, ...]]) -> None:
    shown = more = 0
    for file, index, _time, _artist, _title, outcome, _path, reason in rows:
        if outcome != "error":
            continue
        if shown < SHOWN_ERRORS:
            print(f"error: {file}: entry {index}: {reason}", file=sys.stderr)
            shown += 1
        else:
            more += 1
    if more:
        print(f"error: ... and {more} more entries with errors (--report lists them)",
              file=sys.stderr)  # fmt: skip


def _print_summary(summary: ImportSummary) -> None:
    weaker = f" ({summary.weaker} by a weaker match)" if summary.weaker else ""
    print(f"entries:     {summary.entries}")
    print(f"matched:     {summary.matched}{weaker}")
    print(f"unmatched:   {summary.unmatched}")
    print(f"duplicate:   {summary.duplicate}")
    print(f"ignored:     {summary.ignored}")
    print(f"error:       {summary.error}")
    print(f"plays added: {summary.plays_added}")
    if summary.unmatched_artists:
        print("most-played unmatched artists:")
        for artist, n in summary.unmatched_artists:
            print(f"  {n:6d}  {artist}")
        print("most-played unmatched tracks:")
        for artist, title, n in summary.unmatched_tracks:
            print(f"  {n:6d}  {artist} - {title}")
    if summary.dry_run:
        print("Dry run: nothing was written.")
    elif summary.unmatched:
        print("Unmatched entries are kept: a later scan that finds their files adds them.")
    if summary.plays_added and not summary.dry_run:
        print("Radio learns them at its next full retrain (Tools > Retrain Radio on Local History "
              "in the window, or `segue-recommender train --full`).")  # fmt: skip
