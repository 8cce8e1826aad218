"""Session readers (.txt / .tsv, malformed lines) and how skips and radio picks are weighted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from player.plugin_api import Origin, Outcome, PlayRecord
from recommender.sessions import (
    LATE_SKIP_WEIGHT,
    RADIO_PICK_WEIGHT,
    SessionFormatError,
    TrainingSession,
    read_sessions,
    session_from_plays,
)


def test_txt_reader(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("1 2 3\n\n4 5\n", encoding="utf-8")
    assert read_sessions(path) == [TrainingSession((1, 2, 3)), TrainingSession((4, 5))]


def test_txt_malformed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("1 2\n3 x 4\n", encoding="utf-8")
    with pytest.raises(SessionFormatError, match=r"s\.txt:2"):
        read_sessions(path)


def test_tsv_reader_groups_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text(
        "SessionId\tItemId\tTime\na\t7\t1\na\t8\t2\nb\t9\t3\nb\t7\t4\n", encoding="utf-8"
    )
    assert read_sessions(path) == [TrainingSession((7, 8)), TrainingSession((9, 7))]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("a\t7\t1\na\tz\t2\n", 3),  # not an integer item
        ("a\t7\t1\nb\t8\t2\na\t9\t3\n", 4),  # session rows not grouped
        ("a\t7\t5\na\t8\t2\n", 3),  # not ordered by time
        ("a\t7\n", 2),  # missing field
    ],
)
def test_tsv_malformed_lines_are_named(tmp_path: Path, body: str, line: int) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("SessionId\tItemId\tTime\n" + body, encoding="utf-8")
    with pytest.raises(SessionFormatError, match=rf"s\.tsv:{line}"):
        read_sessions(path)


def test_tsv_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("a\tb\tc\n", encoding="utf-8")
    with pytest.raises(SessionFormatError, match="header"):
        read_sessions(path)


def _play(
    track: int, outcome: Outcome, played: int = 100_000, origin: Origin = Origin.USER
) -> PlayRecord:
    return PlayRecord(track, outcome, played, origin, 0.0, duration_ms=200_000)


def test_skips_and_radio_picks_are_weighted() -> None:
    session = session_from_plays(
        [
            _play(1, Outcome.FINISHED, 200_000),
            _play(2, Outcome.SKIPPED, 10_000),  # early skip: dropped
            _play(3, Outcome.FAILED),  # failed: dropped, never a skip
            _play(4, Outcome.SKIPPED, 150_000),  # late skip: weak positive
            _play(5, Outcome.FINISHED, 200_000, Origin.RADIO),
        ]
    )
    assert session.items == (1, 4, 5)
    assert session.weights == (1.0, LATE_SKIP_WEIGHT, RADIO_PICK_WEIGHT)


def test_plain_session_has_no_weights() -> None:
    session = session_from_plays([_play(1, Outcome.FINISHED), _play(2, Outcome.FINISHED)])
    assert session == TrainingSession((1, 2))


@pytest.mark.parametrize(
    ("name", "body", "where"),
    [
        ("s.txt", f"1 2\n3 {2**63} 4\n", r"s\.txt:2: item id 9223372036854775808 is too large"),
        ("s.txt", f"1 2\n\n{2**70}\n", r"s\.txt:3: item id \d+ is too large"),
        ("s.tsv", f"SessionId\tItemId\tTime\na\t1\t1\na\t{2**63}\t2\n", r"s\.tsv:3: item id"),
        ("s.tsv", "SessionId\tItemId\tTime\na\t1\t1\na\t-4\t2\n", r"s\.tsv:3: .*negative"),
    ],
)
def test_out_of_range_ids_are_named(tmp_path: Path, name: str, body: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SessionFormatError, match=where):
        read_sessions(path)


def test_largest_id_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text(f"0 {2**63 - 1}\n", encoding="utf-8")
    assert read_sessions(path) == [TrainingSession((0, 2**63 - 1))]


@pytest.mark.parametrize(
    ("name", "body"),
    [("s.txt", ""), ("s.txt", "\n  \n\t\n"), ("s.tsv", "SessionId\tItemId\tTime\n\n")],
)
def test_empty_file_is_an_error(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SessionFormatError, match=re.escape(f"{name}: no sessions")):
        read_sessions(path)
