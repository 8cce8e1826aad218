"""The headless ``segue`` commands: scan and stats print counts; bad databases print why."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from player.cli import main
from tests.audio import make_library


def test_scan_then_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_library(tmp_path / "music", n_albums=2, tracks_per_album=2)
    (tmp_path / "music" / "broken.mp3").write_bytes(b"not audio at all" * 50)
    data = str(tmp_path / "data")
    assert main(["scan", str(tmp_path / "music"), "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "added:     4" in out and "failed:    1" in out
    assert "broken.mp3: unreadable or corrupt audio" in out or "broken.mp3: not a recognised" in out
    assert main(["--data-dir", data, "stats"]) == 0
    out = capsys.readouterr().out
    assert "tracks:    4" in out and "available: 4" in out and "sessions:  0" in out
    assert (tmp_path / "data" / "state" / "logs" / "segue.log").exists()


def test_data_dir_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEGUE_DATA_DIR", str(tmp_path / "env"))
    assert main(["stats"]) == 0
    assert (tmp_path / "env" / "library.db").exists()


def test_newer_database_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()  # stats refuses a data dir that does not exist
    assert main(["stats", "--data-dir", str(data)]) == 0
    with sqlite3.connect(data / "library.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'ffff'")
    capsys.readouterr()
    assert main(["stats", "--data-dir", str(data)]) == 2
    assert "newer version of Segue" in capsys.readouterr().err
    with sqlite3.connect(data / "library.db") as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("ffff",)


def test_corrupt_database_is_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "library.db").write_bytes(b"\x13" * 5000)
    assert main(["stats", "--data-dir", str(data)]) == 0
    err = capsys.readouterr().err
    assert "was corrupt" in err and "library.db.corrupt-" in err
    assert len(list(data.glob("library.db.corrupt-*"))) == 1


def test_python_dash_m_runs_headless(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "player", "stats", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "plays:     0" in result.stdout
    # Headless commands must not load Qt or torch.
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys; from player.cli import main; main(['stats', '--data-dir', sys.argv[1]]);"
         "print(any(m.startswith(('PySide6', 'torch')) for m in sys.modules))", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip().endswith("False")


def test_stats_refuses_a_missing_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo"
    assert main(["stats", "--data-dir", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: no Segue data in {missing} (it does not exist)\n"
    assert not missing.exists()
    # `scan` still makes a new library there.
    (tmp_path / "music").mkdir()
    assert main(["scan", str(tmp_path / "music"), "--data-dir", str(missing)]) == 0
    assert (missing / "library.db").exists()


def test_stats_counts_what_the_events_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from player.db.engine import open_database
    from player.db.models import Track
    from player.history import History
    from player.plugin_api import Origin, Outcome

    data = tmp_path / "data"
    data.mkdir()
    db = open_database(data / "library.db")
    try:
        with db.session() as s, s.begin():
            track = Track(path="/m/a.mp3", title="A", duration_ms=60_000)
            s.add(track)
            s.flush()
            track_id = track.id
        history = History(db)
        for _ in range(10):  # ten skips
            play = history.play_started(track_id, Origin.USER)
            history.play_ended(play, Outcome.SKIPPED, position_ms=1_000, played_ms=1_000)
        play = history.play_started(track_id, Origin.QUEUE)  # then quit mid-track
        history.play_interrupted(play, position_ms=30_400, played_ms=30_400)
        history.close_session()
    finally:
        db.close()
    assert main(["stats", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "plays:     11" in out and "skipped:   10" in out and "finished:  0" in out
    assert "interrupted: 1" in out


def test_scan_on_a_full_disk_is_one_error_line_and_keeps_the_library(tmp_path: Path) -> None:
    """Issue #25 (9): a disk that fills during a scan gave a traceback."""
    from tests.faults import full_disk, run_segue

    music = tmp_path / "music"
    make_library(music, 10, 10, seconds=0.3)
    data = tmp_path / "data"
    assert run_segue(["scan", str(music / "Artist 1"), "--data-dir", str(data)]).returncode == 0
    with full_disk(36_000) as limit:  # the shared-memory index fits; the scan's writes do not
        result = run_segue(["scan", str(music), "--data-dir", str(data)], preexec_fn=limit)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "could not write" in errors[0] and "library.db" in errors[0]
    stats = run_segue(["stats", "--data-dir", str(data)])
    assert stats.returncode == 0 and "tracks:    10" in stats.stdout


def test_the_window_quits_cleanly_on_sigterm(tmp_path: Path) -> None:
    """A desktop's log-out sends SIGTERM: the playing track is recorded as interrupted and the
    session closed, as on Ctrl+Q (the process used to die with the play left open)."""
    import signal

    from tests.faults import DEADLINE_S, run_segue, start_segue, wait_for

    music = tmp_path / "music"
    make_library(music, n_albums=1, tracks_per_album=2, seconds=30.0)
    data = tmp_path / "data"
    window = start_segue(["--data-dir", str(data), "--music-dir", str(music), "--radio"])
    try:

        def playing() -> bool:
            stats = run_segue(["stats", "--data-dir", str(data)])
            return "plays:     1" in stats.stdout or window.poll() is not None

        wait_for(playing, "the first radio play")
        assert window.poll() is None, window.communicate()
        window.send_signal(signal.SIGTERM)
        window.communicate(timeout=DEADLINE_S)
    finally:
        window.kill()
    assert window.returncode == 0
    stats = run_segue(["stats", "--data-dir", str(data)]).stdout
    assert "interrupted: 1" in stats and "sessions:  1" in stats and "skipped:   0" in stats
