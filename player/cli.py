"""The ``segue`` command: the window, or headless ``scan``, ``stats``, ``import``, ``playlist``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from player.logs import setup_logging
from player.paths import AppPaths, printable

if TYPE_CHECKING:  # the window's start must not wait for SQLAlchemy: imported where used
    from player.db.engine import Database
    from player.scanner import ScanProgress, ScanReport

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; ``--data-dir`` and ``--debug`` work before or after a subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="keep database, cache and logs in DIR (default: $SEGUE_DATA_DIR or the platform's)",
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS,
        help="log everything (also Qt's and FFmpeg's own messages) to the terminal and the log",
    )  # fmt: skip
    parser = argparse.ArgumentParser(
        prog="segue", description="A music player whose radio learns how you listen.",
        parents=[common],
    )  # fmt: skip
    parser.add_argument(
        "--music-dir", action="append", default=[], type=Path, metavar="DIR",
        help="music folder to scan on start (repeatable)",
    )  # fmt: skip
    parser.add_argument("--radio", action="store_true", help="start the radio at once")
    commands = parser.add_subparsers(dest="command")
    scan_parser = commands.add_parser("scan", parents=[common], help="scan music folders")
    scan_parser.add_argument("folders", nargs="+", type=Path, metavar="DIR")
    commands.add_parser("stats", parents=[common], help="print library and history counts")
    importer = commands.add_parser(
        "import", parents=[common],
        help="import listening history exported from Last.fm, Spotify or ListenBrainz",
    )  # fmt: skip
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                          help="an export file, a folder or a zip holding exports")  # fmt: skip
    importer.add_argument("--report", type=Path, metavar="OUT.tsv",
                          help="write one row per entry read (outcome, file, reason)")  # fmt: skip
    importer.add_argument("--json", action="store_true", help="print the summary as JSON")
    importer.add_argument("--dry-run", action="store_true",
                          help="match and report, but write nothing to the library")  # fmt: skip
    _add_playlist(commands, common)
    return parser


def _add_playlist(commands: Any, common: argparse.ArgumentParser) -> None:
    playlist = commands.add_parser("playlist", parents=[common], help="list, import, export")
    actions = playlist.add_subparsers(dest="playlist_command", required=True)
    actions.add_parser("list", parents=[common], help="name, entries and missing entries")
    export = actions.add_parser(
        "export", parents=[common], help="write a playlist (.m3u, .m3u8 or .xspf, by suffix)"
    )
    export.add_argument("name", metavar="NAME")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument(
        "--paths", choices=("auto", "relative", "absolute"), default="auto",
        help="M3U paths: relative to FILE's folder when under it (auto), always, or never",
    )  # fmt: skip
    imported = actions.add_parser("import", parents=[common], help="read an M3U/M3U8/XSPF file")
    imported.add_argument("file", type=Path, metavar="FILE")
    imported.add_argument("--name", help="the new playlist's name (default: the file's own)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``segue``; returns the process exit code."""
    args = build_parser().parse_args(argv)
    paths = AppPaths.resolve(getattr(args, "data_dir", None))
    debug = bool(getattr(args, "debug", False))
    reads = args.command in ("stats", "playlist")
    if reads and getattr(args, "data_dir", None) and not paths.data_dir.exists():
        print(f"error: no Segue data in {paths.data_dir} (it does not exist)", file=sys.stderr)
        return 2  # a mistyped --data-dir; the window and `scan` create a new one
    try:
        paths.ensure()
    except OSError as error:
        print(f"segue: cannot create data folders under {paths.data_dir}: {error}", file=sys.stderr)
        return 2
    if args.command is None:
        setup_logging(paths, debug=debug)
        return _run_window(paths, args.music_dir, debug=debug, radio=args.radio)
    setup_logging(paths, debug=debug, console_level=logging.ERROR)
    # Here, not at the top: SQLAlchemy, Alembic and mutagen take a good part of a second to
    # import, and the window (above) loads them only once it is on screen.
    from player.db.engine import DatabaseError, open_database

    try:
        db = open_database(paths.db_path)
    except DatabaseError as error:
        log.warning("Cannot open the database: %s", error)  # to the log file; stderr gets it below
        print(f"segue: {error}", file=sys.stderr)
        return 2
    try:
        if db.notice:
            print(f"Note: {db.notice}", file=sys.stderr)
        if args.command == "scan":
            return _scan(db, args.folders)
        if args.command == "import":
            from player.history_import.cli import run_import

            return run_import(db, args.paths, report=args.report, as_json=args.json,
                              dry_run=args.dry_run)  # fmt: skip
        if args.command == "playlist":
            from player.playlists.cli import run_playlist

            return run_playlist(db, args)
        return _stats(db)
    finally:
        db.close()


def _run_window(paths: AppPaths, music_dirs: list[Path], *, debug: bool, radio: bool) -> int:
    try:
        from player.qt_noise import quiet_qt  # before QtMultimedia loads: it speaks at load

        quiet_qt(debug)
        from player.app import run_app  # lazy: headless commands never load Qt
    except ImportError as error:
        if error.name not in ("player.app", "PySide6"):
            raise
        print(
            f"segue: the player window is not available ({error}). "
            "Headless commands still work: `segue scan DIR...`, `segue stats`.",
            file=sys.stderr,
        )
        return 1
    result: int = run_app(paths, music_dirs=music_dirs, debug=debug, radio=radio)
    return result


def _scan(db: Database, folders: list[Path]) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from player.scanner import scan

    interrupted: list[bool] = []

    def on_interrupt(_signum: int, _frame: FrameType | None) -> None:
        interrupted.append(True)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    show = ScanProgressPrinter() if sys.stderr.isatty() else None
    try:
        report = scan(db, folders, progress=show, should_stop=lambda: bool(interrupted))
    except (OSError, SQLAlchemyError) as error:  # a full disk, a vanished data folder
        cause = getattr(error, "orig", None) or error
        log.warning("scan could not write to %s", db.path, exc_info=True)  # the log file only
        print(f"error: could not write to {db.path} ({cause}); the scan stopped, and the library "
              "keeps everything it held before", file=sys.stderr)  # fmt: skip
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)
        if show is not None:
            print(file=sys.stderr)
    _print_report(report)
    return 1 if report.cancelled else 0


class ScanProgressPrinter:
    """Rewrites one status line on stderr, at most twice a second."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, progress: ScanProgress) -> None:
        now = time.monotonic()
        if now - self._last < 0.5 and progress.done != progress.total:
            return
        self._last = now
        if progress.total == 0:
            text = f"Listing folders: {progress.done} files found"
        else:
            text = f"Reading files: {progress.done}/{progress.total}"
        print(f"\r{text:<60}", end="", file=sys.stderr, flush=True)


def _print_report(report: ScanReport) -> None:
    print(f"added:     {report.added}")
    print(f"updated:   {report.updated}")
    print(f"unchanged: {report.unchanged}")
    print(f"moved:     {report.moved}")
    print(f"missing:   {report.missing}")
    print(f"restored:  {report.restored}")
    if report.attached:
        print(f"attached:  {report.attached} imported plays whose files this scan found")
    print(f"failed:    {len(report.failed)}")
    for path, reason in report.failed:
        print(f"  {printable(path)}: {reason}")
    if report.cancelled:
        print("Scan cancelled: files read so far were saved; run the scan again to finish.")


def _stats(db: Database) -> int:
    from player.feedback import FeedbackLog
    from player.history import History
    from player.plugin_api import FeedbackKind

    stats = History(db).stats()
    print(f"tracks:    {stats.tracks}")
    print(f"available: {stats.available}")
    print(f"plays:     {stats.plays}")
    print(f"  local:    {stats.plays - sum(stats.imported.values())}")
    for source, n in sorted(stats.imported.items()):
        print(f"  imported from {source}: {n}")
    if stats.unmatched:
        print(f"  imported, waiting for their files: {stats.unmatched}")
    print(f"finished:  {stats.finished}")
    print(f"skipped:   {stats.skipped}")
    print(f"failed:    {stats.failed}")
    print(f"interrupted: {stats.interrupted}")  # quit (or crashed) mid-track: neither of the above
    print(f"sessions:  {stats.sessions}")
    if stats.imported_sessions:
        print(f"  imported: {stats.imported_sessions}")
    feedback = FeedbackLog(db).counts()
    print(f"loved:     {feedback[FeedbackKind.LOVE]}")
    print(f"never play: {feedback[FeedbackKind.NEVER]}")  # kept out of radio until undone
    return 0
