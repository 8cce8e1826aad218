"""``segue playlist list | export NAME FILE | import FILE [--name NAME]``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from player.db.engine import Database
from player.paths import printable
from player.playlists.import_export import ImportReport, export_playlist, import_playlist
from player.playlists.records import PlaylistFileError, UnknownFormat
from player.playlists.store import PlaylistError, list_playlists

log = logging.getLogger(__name__)


def run_playlist(db: Database, args: argparse.Namespace) -> int:
    """Run one ``segue playlist`` command; errors are one ``error: ...`` line on stderr.

    Exit status: 0 done, 2 bad input (unknown playlist or format, a name taken, a file with no
    entries), 1 a file or the database that could not be read or written.
    """
    try:
        if args.playlist_command == "list":
            return _list(db)
        if args.playlist_command == "export":
            count = export_playlist(db, args.name, args.file, paths=args.paths)
            _say(f'exported {count} entries of "{args.name}" to {args.file}')
            return 0
        return _import(db, args.file, args.name)
    except PlaylistError as error:
        _say(f"error: {error}", err=True)
        return 2
    except PlaylistFileError as error:
        _say(f"error: {error}", err=True)
        return 2 if isinstance(error, UnknownFormat) else 1
    except (OSError, SQLAlchemyError) as error:  # a full disk, a locked database
        cause = getattr(error, "orig", None) or error
        log.warning("playlist %s failed", args.playlist_command, exc_info=True)
        _say(f"error: could not write to {db.path} ({cause}); nothing was changed", err=True)
        return 1


def _list(db: Database) -> int:
    playlists = list_playlists(db)
    if not playlists:
        _say("no playlists")
    for info in playlists:
        missing = f", {info.missing} missing" if info.missing else ""
        _say(f"{info.name}\t{info.entries} entries{missing}")
    return 0


def _import(db: Database, file: Path, name: str | None) -> int:
    report = import_playlist(db, file, name)
    _print_problems(file, report)
    info = report.playlist
    notes = []
    if info.missing:
        notes.append(f"{info.missing} missing")
    if report.urls:
        notes.append(f"{report.urls} URLs kept, not playable")
    extra = f" ({', '.join(notes)})" if notes else ""
    _say(f'imported {info.entries} entries as "{info.name}"{extra}')
    return 0


def _print_problems(file: Path, report: ImportReport) -> None:
    for problem in report.problems:
        where = f"{file}:{problem.line}" if problem.line else str(file)
        _say(f"warning: {where}: {problem.message}", err=True)
    more = report.problems_total - len(report.problems)
    if more > 0:
        _say(f"warning: {file}: {more} more lines could not be read", err=True)


def _say(text: str, *, err: bool = False) -> None:
    """Print a line whatever bytes its paths hold."""
    print(printable(text), file=sys.stderr if err else sys.stdout)
