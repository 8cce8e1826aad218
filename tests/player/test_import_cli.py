"""Issue #24: ``segue import``: the report, the JSON summary, a dry run, and bad input named
on one line each (exit 2 only when nothing could be read)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from player.cli import main
from player.db.engine import open_database
from player.db.models import Track

T0 = 1_600_000_000


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    db = open_database(folder / "library.db")
    with db.session() as s, s.begin():
        s.add(Track(path="/m/one.mp3", artist="A", title="One", duration_ms=200_000))
    db.close()
    return folder


def export(tmp_path: Path, text: str, name: str = "scrobbles.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_report_and_json_summary(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, f"uts,artist,track\n{T0},A,One\n{T0 + 300},B,Two\n0,A,One\n"
                            f"{T0},A,One\n")  # fmt: skip
    report = tmp_path / "out.tsv"
    args = ["import", str(path), "--report", str(report), "--json", "--data-dir", str(data)]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {k: summary[k] for k in ("entries", "matched", "unmatched", "duplicate", "ignored",
                                    "error", "plays_added")} == {
        "entries": 4, "matched": 1, "unmatched": 1, "duplicate": 1, "ignored": 1, "error": 0,
        "plays_added": 1}  # fmt: skip
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == ["file", "entry", "time", "artist", "title", "outcome", "path", "reason"]
    assert [(r[1], r[2], r[5], r[6]) for r in rows[1:]] == [
        ("1", "2020-09-13T12:26:40Z", "matched", "/m/one.mp3"),
        ("2", "2020-09-13T12:31:40Z", "unmatched", ""),
        ("3", "", "ignored", ""),
        ("4", "2020-09-13T12:26:40Z", "duplicate", "/m/one.mp3"),  # the file it names
    ]
    assert rows[2][7] == "no file by this artist in the library"
    assert main(["import", str(path), "--data-dir", str(data)]) == 0  # again: all duplicates
    assert "plays added: 0" in capsys.readouterr().out
    assert main(["stats", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "plays:     1" in out and "imported from lastfm: 1" in out and "local:    0" in out
    assert "sessions:  1\n  imported: 1\n" in out


def test_dry_run_writes_nothing(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, f"uts,artist,track\n{T0},A,One\n")
    assert main(["import", str(path), "--dry-run", "--data-dir", str(data)]) == 0
    assert "Dry run: nothing was written." in capsys.readouterr().out
    assert main(["import", str(path), "--json", "--data-dir", str(data)]) == 0
    assert json.loads(capsys.readouterr().out)["plays_added"] == 1


def test_bad_rows_are_named_and_good_rows_imported(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, f"uts,artist,track\nnot a date,A,One\n{T0},A,One\n")
    assert main(["import", str(path), "--data-dir", str(data)]) == 0
    captured = capsys.readouterr()
    assert f"error: {path}: entry 1: bad date 'not a date'" in captured.err.splitlines()
    assert "plays added: 1" in captured.out


def test_unknown_and_truncated_files_are_one_line_each(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = export(tmp_path, "just some notes\n", "notes.txt")
    assert main(["import", str(unknown), "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {unknown}: not a listening-history export (no header naming artist, "
                   "track and time, and not the four columns artist,album,track,date)"]  # fmt: skip
    good = json.dumps([{"endTime": "2020-09-13 12:29", "artistName": "A", "trackName": "One",
                        "msPlayed": 200_000}] * 2)  # fmt: skip
    truncated = export(tmp_path, good[: len(good) - 20], "StreamingHistory0.json")
    assert main(["import", str(truncated), "--json", "--data-dir", str(data)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {truncated}: entry 2: ")
    assert json.loads(captured.out)["plays_added"] == 1


def test_missing_path_and_unwritable_report(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nope.csv"), "--data-dir", str(data)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.csv'}: no such file or folder\n"
    path = export(tmp_path, f"uts,artist,track\n{T0},A,One\n")
    report = tmp_path / "no-such-folder" / "out.tsv"
    assert main(["import", str(path), "--report", str(report), "--data-dir", str(data)]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot write the report {report}")


@pytest.mark.parametrize("limit", [36_000, 150_000])
def test_a_full_disk_is_one_error_line_and_keeps_the_library(
    data: Path, tmp_path: Path, limit: int
) -> None:
    """Wherever the library's writes hit a full disk: one error line naming it, exit 1, nothing
    of the import kept."""
    from tests.faults import full_disk, run_segue

    lines = [f"{T0 + i * 300},{'A' if i % 2 else 'B'},{'One' if i % 2 else f'T{i}'}"
             for i in range(3000)]  # fmt: skip
    path = export(tmp_path, "uts,artist,track\n" + "\n".join(lines) + "\n")
    with full_disk(limit) as apply:
        result = run_segue(["import", str(path), "--data-dir", str(data)], preexec_fn=apply)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].endswith("nothing of this import was kept")
    assert "library.db" in errors[0]
    stats = run_segue(["stats", "--data-dir", str(data)])
    assert stats.returncode == 0 and "plays:     0" in stats.stdout
    assert run_segue(["import", str(path), "--data-dir", str(data)]).returncode == 0
