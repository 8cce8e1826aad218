"""``evaluate --items``: the tags TSV, read strictly with errors naming the file and line (#23)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.tags import ItemsFormatError, ItemTags, read_items


def _write(tmp_path: Path, text: str, name: str = "items.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_any_subset_of_columns_and_empty_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Genre\tItemId\tArtist\tTrackNumber\tDuration\tDiscNumber\tExtra\n"
        "Jazz\t7\tMiles\t3/12\t185.5\t\tignored\n"
        "\t8\t\t\t\t2\t\n",
    )
    tags = read_items(path)
    assert tags[7] == ItemTags(artist="Miles", track_number=3, genre="Jazz", duration_ms=185_500)
    assert tags[8] == ItemTags(disc_number=2)  # empty = unknown


def test_the_personal_dev_layout(tmp_path: Path) -> None:
    path = _write(tmp_path, "ItemId\tArtist\tAlbum\tTitle\n1\tA\tB\tC\n2\tA\t\tD\n")
    assert read_items(path) == {
        1: ItemTags(artist="A", album="B", title="C"),
        2: ItemTags(artist="A", title="D"),
    }


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("Artist\tAlbum\nA\tB\n", ":1:", "no ItemId column"),
        ("ItemId\tTrackNumber\n1\tthree\n", ":2:", "TrackNumber is not a whole number"),
        ("ItemId\tArtist\n1\tA\nx\tB\n", ":3:", "ItemId is not a whole number"),
        ("ItemId\tArtist\n1\tA\n1\tB\n", ":3:", "appears twice"),
        ("ItemId\tDuration\n1\tlong\n", ":2:", "Duration is not a number"),
        ("ItemId\tArtist\n\tA\n", ":2:", "empty ItemId"),
        ("", "", "empty file"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, text: str, where: str, what: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ItemsFormatError) as error:
        read_items(path)
    message = str(error.value)
    assert message.startswith(f"{path}{where}") and what in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "items.tsv"
    path.write_bytes(b"ItemId\tArtist\n1\t\xff\xfe\n")
    with pytest.raises(ItemsFormatError, match="not UTF-8"):
        read_items(path)


def _evaluate(tmp_path: Path, items: str, *extra: str) -> int:
    train = "\n".join("1 2 3 4" if i % 2 else "5 6 7 8" for i in range(24)) + "\n"
    (tmp_path / "train.txt").write_text(train, encoding="utf-8")
    (tmp_path / "test.txt").write_text("1 2 3 4\n5 6 7\n", encoding="utf-8")
    _write(tmp_path, items)
    return main(
        [
            "evaluate",
            "--train",
            str(tmp_path / "train.txt"),
            "--test",
            str(tmp_path / "test.txt"),
            "--items",
            str(tmp_path / "items.tsv"),
            "--epochs",
            "2",
            "--json",
            *extra,
        ]
    )


def test_evaluate_reports_a_bad_items_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _evaluate(tmp_path, "ItemId\tYear\n1\tsoon\n") == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines == [f"error: {tmp_path / 'items.tsv'}:2: Year is not a whole number: 'soon'"]
    assert captured.out == ""


def test_evaluate_ignores_unknown_ids_and_reports_likelihood(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ids the train file never has (999) are ignored; tracks without a row have no tags."""
    items = "ItemId\tArtist\tAlbum\tTrackNumber\n1\tA\tX\t1\n2\tA\tX\t2\n999\tZ\tQ\t1\n"
    assert _evaluate(tmp_path, items, "--likelihood") == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["blend"] is True and figures["positions"] == 5
    assert figures["radio_log_p"] < 0 and 0 < figures["radio_p"] <= 1
    assert figures["markov_log_p"] < 0


def test_likelihood_needs_the_rnn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _evaluate(tmp_path, "ItemId\n1\n", "--likelihood", "--model", "pop") == 2
    assert "RNN models only" in capsys.readouterr().err
