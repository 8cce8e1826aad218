"""M3U / M3U8 / XSPF (issue #27): round trips, relative and absolute paths, and malformed files
read as far as they can be, with line numbers for the rest and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.playlists.formats import PlaylistReader, write_playlist
from player.playlists.records import (
    MAX_PROBLEMS,
    FileEntry,
    PlaylistFileError,
    UnknownFormat,
)
from tests.faults import full_disk


def read(path: Path) -> tuple[list[FileEntry], PlaylistReader]:
    reader = PlaylistReader(path)
    return list(reader), reader


def problems(reader: PlaylistReader) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in reader.problems.kept]


ODD = os.fsdecode(b"caf\xe9 latin-1.mp3")  # a name that is not UTF-8


def entries(root: Path) -> list[FileEntry]:
    return [
        FileEntry(str(root / "music" / "A" / "one.mp3"), "One", "Alpha", "First", 61_000),
        FileEntry(str(root / "music" / "Ünïcode & <xml>.flac"), "Ünï <&>", "", "", None),
        FileEntry(str(root / "elsewhere" / "far.ogg"), "Far", "Beta", "", 5_400),
        FileEntry(str(root / "music" / ODD), "Odd", "Gamma", "", 1_000),
        FileEntry("https://radio.example/stream?x=1&y=2", "Stream", "", "", None),
    ]


@pytest.mark.parametrize("suffix", [".m3u", ".m3u8", ".xspf"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    written = entries(tmp_path)
    for entry in written[:4]:  # the files exist (the odd name is found by its exact bytes)
        Path(entry.path).parent.mkdir(parents=True, exist_ok=True)
        Path(entry.path).write_bytes(b"")
    target = tmp_path / "music" / f"list{suffix}"
    assert write_playlist(target, written, name="Trip") == 5
    back, reader = read(target)
    assert reader.name == "Trip"
    assert [(e.path, e.title, e.artist) for e in back] == [
        (e.path, e.title, e.artist) for e in written
    ]
    seconds = [None if e.duration_ms is None else round(e.duration_ms / 1000) for e in back]
    if suffix == ".xspf":
        assert [e.duration_ms for e in back] == [e.duration_ms for e in written]
        assert back[0].album == "First"
    else:
        assert seconds == [61, None, 5, 1, None]
    # The stream URL is kept, and said to be unplayable.
    assert back[-1].is_url and [m for _, m in problems(reader)] == [
        "https://radio.example/stream?x=1&y=2 is a URL, not a file: kept, not playable"
    ]


def test_m3u_paths_relative_under_the_folder_absolute_elsewhere(tmp_path: Path) -> None:
    target = tmp_path / "music" / "list.m3u"
    target.parent.mkdir()
    write_playlist(target, entries(tmp_path)[:3], name="x")
    lines = target.read_text().splitlines()
    assert lines[:3] == ["#EXTM3U", "#PLAYLIST:x", "#EXTINF:61,Alpha - One"]
    assert lines[3] == "A/one.mp3"
    assert lines[5] == "Ünïcode & <xml>.flac" and lines[4] == "#EXTINF:-1,Ünï <&>"
    assert lines[7] == str(tmp_path / "elsewhere" / "far.ogg")
    write_playlist(target, entries(tmp_path)[:3], name="x", paths="absolute")
    assert target.read_text().splitlines()[3] == str(tmp_path / "music" / "A" / "one.mp3")
    write_playlist(target, entries(tmp_path)[:3], name="x", paths="relative")
    assert target.read_text().splitlines()[7] == "../elsewhere/far.ogg"


def test_xspf_locations_are_percent_encoded_file_uris(tmp_path: Path) -> None:
    target = tmp_path / "x.xspf"
    write_playlist(target, entries(tmp_path), name="a & b")
    text = target.read_text()
    assert "<title>a &amp; b</title>" in text
    assert "/music/%C3%9Cn%C3%AFcode%20%26%20%3Cxml%3E.flac</location>" in text
    assert "caf%E9%20latin-1.mp3" in text  # the raw byte, percent-encoded
    assert "<location>https://radio.example/stream?x=1&amp;y=2</location>" in text


def test_extinf_variants_windows_paths_and_file_urls(tmp_path: Path) -> None:
    listing = tmp_path / "lists" / "x.m3u"
    listing.parent.mkdir()
    listing.write_bytes(
        b"\xef\xbb\xbf#EXTM3U\r\n"
        b"#PLAYLIST:My list\r\n"
        b'#EXTINF:-1 tvg-id="x",Solo title\r\n'
        b"..\\music\\song.mp3\r\n"
        b"#EXTINF:12.6,A - B - C\r\n"
        b"file:///abs/with%20space.flac\r\n"
        b"#EXTALB:Album here\n"
        b"#EXTINF:abc,Artist - Title\n"
        b"plain.mp3\n"
    )
    got, reader = read(listing)
    assert reader.name == "My list"
    assert [(e.path, e.artist, e.title, e.duration_ms) for e in got] == [
        (str(tmp_path / "music" / "song.mp3"), "", "Solo title", None),
        ("/abs/with space.flac", "A", "B - C", 12_600),
        (str(tmp_path / "lists" / "plain.mp3"), "Artist", "Title", None),
    ]
    assert got[2].album == "Album here" and got[2].line == 9
    assert problems(reader) == [(8, "#EXTINF without a valid duration ('abc')")]


def test_bad_encoding_and_junk_lines_are_reported_by_line(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    (music / ODD).write_bytes(b"")  # exists under its exact (Latin-1) bytes
    (music / "Café.mp3").write_bytes(b"")
    listing = music / "x.m3u"
    listing.write_bytes(
        b"#EXTM3U\n"
        b"#EXTINF:3,Caf\xe9 - Caf\xe9\n"  # 2: tags in Latin-1
        b"caf\xe9 latin-1.mp3\n"  # 3: a real file with that exact name
        b"Caf\xe9.mp3\n"  # 4: a UTF-8 file name written as Windows-1252
        b"nowhere \xff\xfe.mp3\n"  # 5: neither
        b"\x01binary\x02junk\n" + b"x" * 5000 + b"\n"  # 6: not a path  # 7: far too long for a path
        b"last.mp3"  # 8: no newline at the end
    )
    got, reader = read(listing)
    assert [e.path for e in got] == [
        str(music / ODD),
        str(music / "Café.mp3"),
        str(music / os.fsdecode(b"nowhere \xff\xfe.mp3")),
        str(music / "last.mp3"),
    ]
    assert got[0].title == "Café" and got[0].line == 3
    assert problems(reader) == [
        (2, "not valid UTF-8: read as Windows-1252"),
        (4, "path not valid UTF-8: read as Windows-1252"),
        (5, "path not valid UTF-8 and no such file: kept as written"),
        (6, "not a path or URL (control characters); skipped"),
        (7, "longer than 4096 bytes: not a path; skipped"),
    ]


def test_a_50_mb_file_is_read_in_lines_and_its_problems_capped(tmp_path: Path) -> None:
    big = tmp_path / "big.m3u"
    block = b"#EXTINF:1,A - B\nsong.mp3\n\x01\x02 junk\n" + b"y" * 9000 + b"\n"
    writes = (50 << 20) // (len(block) * 100) + 1
    with big.open("wb") as out:
        for _ in range(writes):
            out.write(block * 100)
    got, reader = read(big)
    assert big.stat().st_size > 50 << 20
    assert len(got) == writes * 100 and got[-1].title == "B"
    assert reader.problems.total == 2 * len(got) and len(reader.problems.kept) == MAX_PROBLEMS
    assert problems(reader)[:2] == [
        (3, "not a path or URL (control characters); skipped"),
        (4, "longer than 4096 bytes: not a path; skipped"),
    ]


def test_binary_files_pipes_and_entity_bombs_are_refused_quickly(tmp_path: Path) -> None:
    audio = tmp_path / "song.m3u"
    audio.write_bytes(b"ID3\x04\x00\x00" + os.urandom(1 << 20))
    got, reader = read(audio)
    assert got == [] and problems(reader) == [(0, "binary data, not a playlist: nothing was read")]
    fifo = tmp_path / "pipe.m3u"
    os.mkfifo(fifo)
    with pytest.raises(PlaylistFileError, match="not a regular file"):
        PlaylistReader(fifo)  # opening it would wait for a writer forever
    bomb = tmp_path / "bomb.xspf"
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY l0 "lol">{lol}]>'
                    "<playlist><title>&l9;</title></playlist>")  # fmt: skip
    got, reader = read(bomb)
    assert got == [] and "broken XML" in problems(reader)[0][1]  # expat refuses to expand it


@pytest.mark.parametrize(
    ("text", "paths", "where", "message"),
    [
        (
            '<playlist xmlns="http://xspf.org/ns/0/"><trackList>\n'
            "<track><location>file:///a.mp3</location></track>\n"
            "<track><location>file:///b.mp3</location>\n"
            "</trackList></playlist>",
            ["/a.mp3"], 4, "broken XML (mismatched tag); nothing after it could be read",
        ),
        (
            '<playlist xmlns="http://xspf.org/ns/0/"><trackList>\n'
            "<track><title>no location</title></track>\n"
            "<track><location>b.mp3</location><duration>long</duration></track>\n"
            "</trackList></playlist>",
            ["b.mp3"], 2, "a track without a <location>; skipped",
        ),
        ("<html><body>not a playlist</body></html>", [], 1, "<html> is not an XSPF <playlist>"),
        ("\x00\x01 not xml at all", [], 1, "broken XML (not well-formed (invalid token)); "
         "nothing after it could be read"),
    ],
)  # fmt: skip
def test_broken_xspf_keeps_what_came_before(
    tmp_path: Path, text: str, paths: list[str], where: int, message: str
) -> None:
    listing = tmp_path / "x.xspf"
    listing.write_text(text)
    got, reader = read(listing)
    assert [os.path.relpath(e.path, tmp_path) if not e.path.startswith("/a") else e.path
            for e in got] == paths  # fmt: skip
    assert problems(reader)[0] == (where, message)


def test_unreadable_and_unwritable_files_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlaylistFileError, match=r"cannot read .*nope\.m3u"):
        PlaylistReader(tmp_path / "nope.m3u")
    with pytest.raises(PlaylistFileError, match="cannot read"):
        PlaylistReader(tmp_path)  # a folder
    with pytest.raises(UnknownFormat, match=r"unknown playlist format '\.pls'"):
        write_playlist(tmp_path / "x.pls", [], name="x")
    with pytest.raises(PlaylistFileError, match="cannot write"):
        write_playlist(tmp_path / "no" / "such" / "x.m3u", [], name="x")
    (tmp_path / "folder.m3u").mkdir()  # the rename onto it fails: the temporary file goes
    with pytest.raises(PlaylistFileError, match=r"cannot write .*folder\.m3u: Is a directory"):
        write_playlist(tmp_path / "folder.m3u", [FileEntry("/x.mp3")], name="x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.m3u"]


def test_a_full_disk_leaves_the_old_file_whole(tmp_path: Path) -> None:
    old = tmp_path / "keep.m3u8"
    old.write_text("#EXTM3U\nold.mp3\n")
    script = (
        "import sys; from pathlib import Path\n"
        "from player.playlists.formats import write_playlist\n"
        "from player.playlists.records import FileEntry, PlaylistFileError\n"
        "entries = [FileEntry(f'/music/{i:04d} a long enough file name.mp3') for i in range(200)]\n"
        "try:\n"
        "    write_playlist(Path(sys.argv[1]), entries, name='big')\n"
        "except PlaylistFileError as error:\n"
        "    print(error)\n"
    )
    with full_disk(4096) as limit:
        result = subprocess.run(
            [sys.executable, "-c", script, str(old)], capture_output=True, text=True,
            preexec_fn=limit, check=True,
        )  # fmt: skip
    assert result.stdout.startswith(f"cannot write {old}: File too large")
    assert old.read_text() == "#EXTM3U\nold.mp3\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.m3u8"]


def test_unknown_suffix_is_read_by_its_content(tmp_path: Path) -> None:
    xml = tmp_path / "list.txt"
    xml.write_text('<?xml version="1.0"?><playlist><trackList><track>'
                   "<location>file:///x.mp3</location></track></trackList></playlist>")  # fmt: skip
    plain = tmp_path / "list.lst"
    plain.write_text("/y.mp3\n")
    assert [e.path for e in read(xml)[0]] == ["/x.mp3"]
    assert [e.path for e in read(plain)[0]] == ["/y.mp3"]
