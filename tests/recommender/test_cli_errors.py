"""``segue-recommender`` on bad input: one ``error: ...`` line and exit 2 (1 if it cannot open or
write), never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from player.db.engine import open_database
from player.paths import AppPaths
from recommender.cli import main

READERS = [["train"], ["radio", "--preview", "3"]]


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _data_dir(tmp_path: Path) -> AppPaths:
    paths = AppPaths.resolve(tmp_path / "data")
    paths.ensure()
    return paths


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Nothing inside ``folder`` can be renamed (root ignores modes: the immutable flag then)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("cannot make a folder immutable here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


# --- train / radio --preview: the player's data -------------------------------------------


@pytest.mark.parametrize("command", READERS)
def test_missing_data_dir_is_refused_not_created(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "typo"
    assert main([*command, "--data-dir", str(typo)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == f"error: no Segue data in {typo} (it does not exist)"
    assert not typo.exists()


@pytest.mark.parametrize("command", READERS)
def test_database_from_a_newer_segue(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _data_dir(tmp_path)
    open_database(paths.db_path).close()
    with sqlite3.connect(paths.db_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'ffff'")
    assert main([*command, "--data-dir", str(paths.data_dir)]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert str(paths.db_path) in line and "newer version of Segue" in line
    with sqlite3.connect(paths.db_path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("ffff",)


@pytest.mark.parametrize("command", READERS)
def test_unreadable_database(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _data_dir(tmp_path)
    paths.db_path.mkdir()  # SQLite cannot open a folder, whoever runs the test
    assert main([*command, "--data-dir", str(paths.data_dir)]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: cannot open {paths.db_path}")


@pytest.mark.parametrize("command", READERS)
def test_corrupt_database_that_cannot_be_set_aside(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _data_dir(tmp_path)
    paths.db_path.write_bytes(b"\x13" * 5000)
    with _locked(paths.data_dir):
        assert main([*command, "--data-dir", str(paths.data_dir)]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("error: cannot open") and str(paths.data_dir) in line
    assert paths.db_path.read_bytes() == b"\x13" * 5000
    assert not list(paths.data_dir.glob("library.db.corrupt-*"))


def test_installed_command_reports_without_traceback(tmp_path: Path) -> None:
    typo = tmp_path / "typo"
    result = subprocess.run(
        [Path(sys.executable).with_name("segue-recommender"), "train", "--data-dir", str(typo)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert _one_error_line(result.stderr) == f"error: no Segue data in {typo} (it does not exist)"
    assert not typo.exists()


# --- evaluate ------------------------------------------------------------------------------


def _evaluate(tmp_path: Path, train: str, test: str, *extra: str) -> int:
    (tmp_path / "train.txt").write_text(train, encoding="utf-8")
    (tmp_path / "test.txt").write_text(test, encoding="utf-8")
    argv = [
        "evaluate",
        "--train",
        str(tmp_path / "train.txt"),
        "--test",
        str(tmp_path / "test.txt"),
    ]
    return main([*argv, "--model", "pop", *extra])


@pytest.mark.parametrize(
    ("train", "test", "which"),
    [
        ("", "1 2 3\n", "train.txt"),
        ("\n \n\t\n", "1 2 3\n", "train.txt"),
        ("1 2 3\n", "", "test.txt"),
    ],
)
def test_evaluate_refuses_an_empty_file(
    tmp_path: Path, train: str, test: str, which: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _evaluate(tmp_path, train, test) == 2
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert line.startswith(f"error: {tmp_path / which}: no sessions")
    assert captured.out == ""  # no figures of zeros


def test_evaluate_refuses_a_test_file_with_nothing_to_predict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Single-track sessions have no next track: zeros were printed for 0 positions."""
    assert _evaluate(tmp_path, "1 2 3\n", "1\n2\n") == 2
    captured = capsys.readouterr()
    assert "nothing to predict" in _one_error_line(captured.err) and captured.out == ""


def test_evaluate_refuses_a_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bin.txt").write_bytes(b"1 2\n\xff\xfe\x00 3\n")
    (tmp_path / "test.txt").write_text("1 2 3\n", encoding="utf-8")
    argv = ["evaluate", "--train", str(tmp_path / "bin.txt"), "--test", str(tmp_path / "test.txt")]
    assert main([*argv, "--model", "pop"]) == 2
    assert "not a text file" in _one_error_line(capsys.readouterr().err)


def test_evaluate_refuses_ids_of_2_to_the_63(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _evaluate(tmp_path, "1 2 3\n", f"1 2\n2 {2**63}\n") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {tmp_path / 'test.txt'}:2: item id {2**63} is too large")


@pytest.mark.parametrize(
    ("option", "value"), [("--threads", "0"), ("--epochs", "-3"), ("--threads", "two")]
)
def test_evaluate_refuses_a_non_positive_count(
    tmp_path: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        _evaluate(tmp_path, "1 2 3\n", "1 2 3\n", option, value)
    assert stop.value.code == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: argument {option}: expected a positive integer, got '{value}'")


@pytest.mark.parametrize(
    ("target", "reason"),
    [(".", "is a folder"), ("missing/out.txt", "does not exist")],
)
def test_evaluate_checks_predictions_before_training(
    tmp_path: Path, target: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / target
    argv = [
        "evaluate",
        "--train",
        str(tmp_path / "not-read.txt"),
        "--test",
        str(tmp_path / "t.txt"),
    ]
    # The training file does not exist: an error about --predictions proves it came first.
    assert main([*argv, "--predictions", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: --predictions {out}") and reason in line
    assert not (tmp_path / "missing").exists()


def test_evaluate_writes_predictions_when_the_folder_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.txt"
    assert _evaluate(tmp_path, "1 2 3\n1 2 3\n", "1 2 3\n", "--predictions", str(out)) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
