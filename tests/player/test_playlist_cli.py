"""``segue playlist list / export / import`` (issue #27): counts, formats by suffix, one-line
errors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from player.cli import main
from player.db.engine import open_database
from player.library import TrackRow, load_track_rows
from player.playlists.store import create_playlist
from tests.audio import make_library


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder whose library holds 4 tracks and a playlist "Mix" of them."""
    make_library(tmp_path / "music", 1, 4)
    folder = tmp_path / "data"
    assert main(["scan", str(tmp_path / "music"), "--data-dir", str(folder)]) == 0
    db = open_database(folder / "library.db")
    try:
        rows = load_track_rows(db)
        create_playlist(db, "Mix", [_source(r) for r in rows])
    finally:
        db.close()
    return folder


@dataclass(frozen=True)
class _Source:
    track_id: int
    path: str
    title: str
    artist: str
    album: str
    duration_ms: int | None


def _source(r: TrackRow) -> _Source:
    return _Source(r.id, r.path, r.title, r.artist, r.album, r.duration_ms)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_export_import(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    d = ["--data-dir", str(data)]
    assert run(capsys, "playlist", "list", *d) == (0, "Mix\t4 entries\n", "")
    for suffix in (".m3u", ".m3u8", ".xspf"):
        target = tmp_path / "music" / f"mix{suffix}"
        code, out, err = run(capsys, "playlist", "export", "Mix", str(target), *d)
        assert (code, err) == (0, "") and out == f'exported 4 entries of "Mix" to {target}\n'
        code, out, err = run(capsys, "playlist", "import", str(target), *d)
        assert code == 0 and err == ""
        assert (
            out == f'imported 4 entries as "Mix ({2 + [".m3u", ".m3u8", ".xspf"].index(suffix)})"\n'
        )
    text = (tmp_path / "music" / "mix.m3u").read_text()
    assert "\nArtist 1/Album 1/01 Song 1.1.mp3\n" in text  # relative under the playlist's folder
    code, out, _ = run(capsys, "playlist", "import", str(tmp_path / "music" / "mix.m3u"),
                       "--name", "Chosen", *d)  # fmt: skip
    assert code == 0 and '"Chosen"' in out
    code, out, _ = run(capsys, "playlist", "list", *d)
    assert out.splitlines() == [
        "Chosen\t4 entries", "Mix\t4 entries", "Mix (2)\t4 entries", "Mix (3)\t4 entries",
        "Mix (4)\t4 entries",
    ]  # fmt: skip


def test_import_reports_problems_by_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "odd.m3u"
    listing.write_bytes(b"#EXTM3U\n/gone/a.mp3\n\x01junk\nhttp://radio.example/live\n")
    capsys.readouterr()
    code, out, err = run(capsys, "playlist", "import", str(listing), "--data-dir", str(data))
    assert code == 0
    assert out == 'imported 2 entries as "odd" (2 missing, 1 URLs kept, not playable)\n'
    assert err.splitlines() == [
        f"warning: {listing}:3: not a path or URL (control characters); skipped",
        f"warning: {listing}:4: http://radio.example/live is a URL, not a file: kept, not playable",
    ]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["export", "Nope", "x.m3u"], 2, 'error: no playlist named "Nope"\n'),
        (["export", "Mix", "x.pls"], 2, "error: x.pls: unknown playlist format '.pls' (use .m3u, "
         ".m3u8 or .xspf)\n"),
        (["import", "missing.m3u"], 1,
         "error: cannot read missing.m3u: No such file or directory\n"),
        (["import", "empty.m3u"], 2,
         "error: empty.m3u: no playlist entries found; line 2: not a path or URL (control "
         "characters); skipped\n"),
        (["import", "song.m3u"], 2,
         "error: song.m3u: no playlist entries found; binary data, not a playlist: nothing was "
         "read\n"),
        (["import", "ok.m3u", "--name", "Mix"], 2,
         'error: a playlist named "Mix" already exists\n'),
    ],
)  # fmt: skip
def test_errors_are_one_line(
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    status: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.m3u").write_bytes(b"#EXTM3U\n\x01\x02\n")
    (tmp_path / "ok.m3u").write_text("/a.mp3\n")
    (tmp_path / "song.m3u").write_bytes(b"ID3\x04\x00\x00\x00\x00" + bytes(range(256)) * 8)
    capsys.readouterr()
    assert run(capsys, "playlist", *args, "--data-dir", str(data)) == (status, "", message)


def test_playlist_refuses_a_missing_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "playlist", "list", "--data-dir", str(tmp_path / "typo"))
    assert code == 2 and err.startswith("error: no Segue data in")
    assert not (tmp_path / "typo").exists()


def test_names_that_are_not_utf8_print_and_a_bad_name_is_refused(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / os.fsdecode(b"caf\xe9.m3u")
    odd.write_bytes(b"/gone/a.mp3\n\x01junk\n")
    d = ["--data-dir", str(data)]
    capsys.readouterr()
    code, out, err = run(capsys, "playlist", "import", str(odd), *d)
    assert code == 0 and out == 'imported 1 entries as "caf\\xe9" (1 missing)\n'
    assert (
        err
        == f"warning: {tmp_path}/caf\\xe9.m3u:2: not a path or URL (control characters); skipped\n"
    )
    code, out, err = run(
        capsys, "playlist", "import", str(odd), "--name", os.fsdecode(b"x\xff"), *d
    )
    assert code == 2 and err.startswith("error: a playlist name must be printable text")
