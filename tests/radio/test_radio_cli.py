"""``segue-recommender train`` and ``radio --preview`` on a real scanned library."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from player.db.engine import Database
from player.feedback import FeedbackLog
from player.history import History
from player.library import load_track_rows
from player.paths import AppPaths
from player.plugin_api import FeedbackKind, Origin, Outcome
from player.scanner import scan
from recommender.cli import build_parser, main
from tests.audio import make_library


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def run(*argv: str) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


def _scanned(tmp_path: Path, db: Database) -> None:
    make_library(tmp_path / "music", 6, 4, seconds=0.5)
    scan(db, [tmp_path / "music"])


def test_preview_on_a_fresh_library_prints_json_picks(
    tmp_path: Path, app_paths: AppPaths, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _scanned(tmp_path, db)
    seed = sorted((tmp_path / "music").rglob("01 *"))[0]
    assert run("radio", "--preview", "4", "--seed", str(seed), "--json",
               "--data-dir", str(app_paths.data_dir)) == 0  # fmt: skip
    picks = json.loads(capsys.readouterr().out)
    assert len(picks) == 4
    assert {"track_id", "path", "artist", "title", "probability", "why"} <= set(picks[0])
    assert all(p["why"] for p in picks)  # issue #28: every pick says why
    assert len({p["track_id"] for p in picks}) == 4
    assert all(0 < p["probability"] <= 1 for p in picks)
    assert not list(app_paths.data_dir.glob("models.corrupt-*"))  # an empty folder is no checkpoint


def test_preview_seeded_by_album_or_artist(
    tmp_path: Path, app_paths: AppPaths, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _scanned(tmp_path, db)
    data = ("--data-dir", str(app_paths.data_dir))
    assert run("radio", "--preview", "1", "--seed-album", "album 3", "--json", *data) == 0
    (pick,) = json.loads(capsys.readouterr().out)
    assert pick["why"]
    assert run("radio", "--preview", "2", "--seed-artist", "Artist 2", *data) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    never = [t.id for t in load_track_rows(db) if t.album != "Album 3"]
    feedback = FeedbackLog(db)
    for track_id in never:  # only Album 3 is left to radio
        feedback.record(track_id, FeedbackKind.NEVER)
    assert run("radio", "--preview", "6", "--seed-album", "album 3", "--json", *data) == 0
    picks = json.loads(capsys.readouterr().out)  # the seed's first track plays, then the rest
    assert sorted(p["title"] for p in picks) == ["Song 3.2", "Song 3.3", "Song 3.4"]
    assert run("radio", "--preview", "2", "--seed-artist", "Nobody", *data) == 1
    assert "Nobody is not in the library" in capsys.readouterr().err


def test_train_builds_a_checkpoint_from_history(
    tmp_path: Path, app_paths: AppPaths, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _scanned(tmp_path, db)
    clock = [1_000_000.0]
    history = History(db, clock=lambda: clock[0])
    for _ in range(4):
        for track_id in (1, 5, 9, 13, 2):
            play = history.play_started(track_id, Origin.USER)
            history.play_ended(play, Outcome.FINISHED, position_ms=500, played_ms=500)
            clock[0] += 1
        clock[0] += 4000  # a gap closes the session
    history.close_session()
    assert run("train", "--full", "--data-dir", str(app_paths.data_dir)) == 0
    captured = capsys.readouterr()
    assert "Full training done: 4 sessions" in captured.out
    assert "100.0%" in captured.err  # the progress bar reached the end
    assert (app_paths.models_dir / "meta.json").exists()
    assert run("radio", "--preview", "2", "--data-dir", str(app_paths.data_dir)) == 0


_FULL_DISK = (
    "import resource, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "limit = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\n"
    "from recommender.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def test_train_on_a_full_disk_says_what_could_not_be_written(
    tmp_path: Path, app_paths: AppPaths, db: Database
) -> None:
    """Issue #25 (9): the checkpoint write failed, was logged, and train said "done" (exit 0)."""
    _scanned(tmp_path, db)
    history = History(db)
    for _ in range(4):
        for track_id in (1, 5, 9, 13, 2):
            play = history.play_started(track_id, Origin.USER)
            history.play_ended(play, Outcome.FINISHED, position_ms=500, played_ms=500)
        history.close_session()
    db.close()
    limit = app_paths.db_path.stat().st_size + 4096  # the database fits, the weights do not
    result = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(limit), "train", "--full",
         "--data-dir", str(app_paths.data_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors and "could not write the checkpoint" in errors[0]
    assert "Traceback" not in result.stderr
    assert not [p for p in app_paths.models_dir.glob(".*") if p.name.endswith(".tmp")]


def test_train_on_too_few_sessions_says_why_as_the_window_does(
    tmp_path: Path, app_paths: AppPaths, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:  # issue #26 item 4: one rule for the app and the command line
    _scanned(tmp_path, db)
    clock = [1_000_000.0]
    history = History(db, clock=lambda: clock[0])
    for _ in range(2):
        for track_id in (1, 5, 9):
            play = history.play_started(track_id, Origin.USER)
            history.play_ended(play, Outcome.FINISHED, position_ms=500, played_ms=500)
            clock[0] += 1
        clock[0] += 4000
    history.close_session()
    assert run("train", "--full", "--data-dir", str(app_paths.data_dir)) == 0
    out = capsys.readouterr().out
    assert out.strip() == (
        "Nothing trained: radio needs at least 3 listening sessions of two or more tracks "
        "to learn from; you have 2."
    )
    assert not (app_paths.models_dir / "meta.json").exists()


def test_verbose_logs_without_alembic_lines(
    app_paths: AppPaths, db: Database, caplog: pytest.LogCaptureFixture
) -> None:  # issue #26 item 13
    caplog.set_level(logging.INFO)
    assert main(["-v", "train", "--data-dir", str(app_paths.data_dir)]) == 0
    assert not [r for r in caplog.records if r.name.startswith("alembic")]


def _help(parser: argparse.ArgumentParser, *argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "--help"])
    return capsys.readouterr().out


def test_help_texts_name_nothing_missing(capsys: pytest.CaptureFixture[str]) -> None:
    from player.cli import build_parser as segue_parser

    assert "PROTOCOL.md" not in _help(build_parser(), capsys=capsys)
    assert "PROTOCOL.md" not in _help(build_parser(), "evaluate", capsys=capsys)
    segue = _help(segue_parser(), capsys=capsys)
    assert "--debug" in segue and "log everything" in segue


def test_preview_names_an_untagged_track_by_its_file(capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.radio.preview import _print_table

    _print_table([{"probability": 0.5, "artist": "", "title": "", "album": "",
                   "path": "/m/untagged.ogg", "why": "a wild card from your library"}])  # fmt: skip
    out = capsys.readouterr().out
    assert "[]" not in out and " — " not in out
    assert "untagged.ogg" in out
