"""Issue #24: exports recognised by content and read as entries (Last.fm CSV layouts, Spotify
account and extended history, ListenBrainz lines, zips and API JSON), bad input named."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from player.history_import import jsonstream
from player.history_import.entries import Entry, Source, parse_time
from player.history_import.formats import FormatError, find_files, read_entries


def entries_of(path: Path) -> list[Entry]:
    files, problems = find_files([path])
    assert problems == []
    out: list[Entry] = []
    for export in files:
        with export.opener() as raw, io.BufferedReader(raw) as data:  # type: ignore[arg-type]
            out.extend(read_entries(export, data))
    return out


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lastfm_header_with_unix_seconds_and_mbids(tmp_path: Path) -> None:
    path = write(tmp_path, "whatever.txt",
                 "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
                 "1536407564,08 Sep 2018 11:52,Björk,,Post,,Army of Me,ABC-1\n")  # fmt: skip
    [entry] = entries_of(path)
    assert (entry.source, entry.played_at, entry.artist, entry.album, entry.title, entry.mbid) == (
        Source.LASTFM,
        1536407564.0,
        "Björk",
        "Post",
        "Army of Me",
        "abc-1",
    )
    assert entry.index == 1


def test_lastfm_columns_in_any_order_with_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv",
                 "artist,track,album,played_at,date,month,weekday,hour,track_genre\n"
                 "Gunna,cfwm,Wun,2025-08-15 15:06:00,2025-08-15,8,Fri,15,rap\n")  # fmt: skip
    [entry] = entries_of(path)
    assert (entry.artist, entry.title, entry.album) == ("Gunna", "cfwm", "Wun")
    assert entry.played_at == parse_time("2025-08-15T15:06:00+00:00")


def test_lastfm_web_layout_with_text_dates_and_quoted_commas(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.csv",
        'utc_time,artist,album,track\n"24 Jan 2023, 09:42",*67,"A, B",Cast a Spell\n',
    )
    [entry] = entries_of(path)
    assert (entry.artist, entry.album, entry.title) == ("*67", "A, B", "Cast a Spell")
    assert entry.played_at == parse_time("2023-01-24 09:42")


def test_headerless_four_columns_and_now_playing_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv",
                 "Radiohead,OK Computer,Airbag,08 Sep 2018 11:52\n"
                 "Radiohead,OK Computer,Lucky,\n"
                 "Radiohead,OK Computer,Karma Police,08 Sep 2018 12:10\n")  # fmt: skip
    entries = entries_of(path)
    assert [(e.index, e.title, bool(e.ignored)) for e in entries] == [
        (1, "Airbag", False), (2, "Lucky", True), (3, "Karma Police", False)]  # fmt: skip


def test_bad_dates_and_short_rows_are_errors_naming_the_entry_good_rows_read(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "b.csv",
                 "uts,artist,track\n1600000000,A,One\nyesterday,A,Two\n1600000300,A\n"
                 "0,A,Now playing\n1600000600,A,Three\n")  # fmt: skip
    entries = entries_of(path)
    assert [e.index for e in entries] == [1, 2, 3, 4, 5]
    assert "bad date 'yesterday'" in entries[1].error
    assert "2 fields" in entries[2].error
    assert entries[3].ignored and not entries[3].error
    assert [e.title for e in entries if not e.error and not e.ignored] == ["One", "Three"]


def test_a_header_without_a_time_column_is_refused_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "artist,track,album\nA,B,C\n")
    with pytest.raises(FormatError, match=r"m\.csv: .*no time column"):
        entries_of(path)


@pytest.mark.parametrize("text", ["hello world\nthis is not an export\n", "a,b,c\n1,2,3\n"])
def test_unknown_text_is_not_an_export(tmp_path: Path, text: str) -> None:
    with pytest.raises(FormatError, match="not a listening-history export") as caught:
        entries_of(write(tmp_path, "x.csv", text))
    assert caught.value.unknown


def test_spotify_account_data_starts_at_end_minus_played(tmp_path: Path) -> None:
    data = [
        {"endTime": "2020-01-16 03:13", "artistName": "Esteman", "trackName": "Caótica",
         "msPlayed": 180000},
        {"endTime": "2020-01-16 03:20", "podcastName": "Show", "episodeName": "Ep 1",
         "msPlayed": 900000},
    ]  # fmt: skip
    first, podcast = entries_of(write(tmp_path, "StreamingHistory0.json", json.dumps(data)))
    assert first.source is Source.SPOTIFY and first.played_ms == 180000
    assert first.played_at == parse_time("2020-01-16 03:13") - 180  # type: ignore[operator]
    assert podcast.ignored


def test_spotify_extended_history_skips_and_podcasts(tmp_path: Path) -> None:
    base = {"ts": "2021-03-01T10:00:00Z", "ms_played": 5000,
            "master_metadata_track_name": "T", "master_metadata_album_artist_name": "A",
            "master_metadata_album_album_name": "Al", "reason_end": "trackdone",
            "skipped": None, "episode_name": None}  # fmt: skip
    data = [
        base,
        {**base, "reason_end": "fwdbtn"},
        {**base, "skipped": True},
        {**base, "master_metadata_track_name": None, "episode_name": "Ep"},
        {**base, "master_metadata_track_name": None},
    ]
    done, fwd, skipped, podcast, nothing = entries_of(
        write(tmp_path, "Streaming_History_Audio_2021.json", json.dumps(data))
    )
    assert (done.album, done.skipped, fwd.skipped, skipped.skipped) == ("Al", False, True, True)
    assert podcast.ignored and nothing.ignored


def listen(at: int, artist: str, title: str, **info: object) -> dict[str, object]:
    return {"listened_at": at, "track_metadata": {
        "artist_name": artist, "track_name": title, "release_name": "R",
        "additional_info": info}}  # fmt: skip


def test_listenbrainz_lines_in_a_zip_of_monthly_files(tmp_path: Path) -> None:
    archive = tmp_path / "export"  # no suffix: recognised by content
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("user.json", json.dumps({"user_name": "me"}))
        z.writestr("listens/2024/1.jsonl", json.dumps(listen(1704067200, "A", "One",
                   recording_mbid="MB-1", duration_ms=200000)) + "\n\n")  # fmt: skip
        z.writestr(
            "listens/2024/2.jsonl", json.dumps(listen(1706745600, "A", "Two")) + "\n\n{bad\n"
        )
    found = []
    files, _ = find_files([archive])
    assert not any(f.named for f in files)
    for export in files:
        with export.opener() as raw, io.BufferedReader(raw) as data:  # type: ignore[arg-type]
            try:
                found.extend(read_entries(export, data))
            except FormatError as error:
                assert error.unknown and "user.json" in str(error)
    one, two, bad = found
    assert (one.mbid, one.duration_ms, one.album, one.source) == (
        "mb-1",
        200000,
        "R",
        Source.LISTENBRAINZ,
    )
    assert two.title == "Two" and "!listens/2024/2.jsonl" in two.file
    assert bad.index == 3 and "not valid JSON" in bad.error  # line 3: a blank line before it


def test_listenbrainz_api_json(tmp_path: Path) -> None:
    payload = {"payload": {"count": 2, "listens": [
        listen(1704067200, "A", "One", duration=180),
        {"playing_now": True, "track_metadata": {"artist_name": "A", "track_name": "Now"}},
    ]}}  # fmt: skip
    one, now = entries_of(write(tmp_path, "page.json", json.dumps(payload)))
    assert one.duration_ms == 180000 and now.ignored


def test_a_truncated_json_array_keeps_what_came_before(tmp_path: Path) -> None:
    data = [{"endTime": "2020-01-16 03:13", "artistName": "A", "trackName": f"T{i}",
             "msPlayed": 1000} for i in range(5)]  # fmt: skip
    text = json.dumps(data, indent=2)
    path = write(tmp_path, "StreamingHistory1.json", text[: len(text) * 3 // 4])
    files, _ = find_files([path])
    got: list[Entry] = []
    with (
        files[0].opener() as raw,
        io.BufferedReader(raw) as stream,  # type: ignore[arg-type]
        pytest.raises(FormatError, match=r"StreamingHistory1\.json: entry 4") as caught,
    ):
        got.extend(read_entries(files[0], stream))
    assert [e.title for e in got] == ["T0", "T1", "T2"] and not caught.value.unknown


def test_the_array_reader_streams_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", 5)
    data = [{"a": i, "s": "x" * i} for i in range(40)] + [12345, 3.5, "z", None, []]
    assert list(jsonstream.iter_array(io.StringIO(json.dumps(data, indent=1)))) == data
    assert list(jsonstream.iter_array(io.StringIO(" [ ] "))) == []
    with pytest.raises(jsonstream.TruncatedJSON):
        list(jsonstream.iter_array(io.StringIO("[1, 2,")))


def test_missing_paths_are_named(tmp_path: Path) -> None:
    files, problems = find_files([tmp_path / "nope.csv"])
    assert files == [] and problems == [f"{tmp_path / 'nope.csv'}: no such file or folder"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2018-09-08T11:52:44+02:00", 1536400364.0), ("1536407564000", 1536407564.0),
     ("08 Sep 2018 11:52", 1536407520.0), ("24 Jan 2023, 09:42", 1674553320.0)],
)  # fmt: skip
def test_times(text: str, expected: float) -> None:
    assert parse_time(text) == expected


def test_spreadsheet_saves_utf16_tabs_and_semicolons(tmp_path: Path) -> None:
    text = "artist\ttrack\ttimestamp\nSigur Rós\tHoppípolla\t1600000000\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-16")
    (tmp_path / "b.csv").write_text(text.replace("\t", ";"), encoding="utf-8")
    for name in ("a.txt", "b.csv"):
        [entry] = entries_of(tmp_path / name)
        assert (entry.artist, entry.title, entry.played_at) == (
            "Sigur Rós", "Hoppípolla", 1600000000.0)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1536407564.5", 1536407564.5), ("Sat, 08 Sep 2018 11:52:44 GMT", 1536407564.0)],
)
def test_more_times(text: str, expected: float) -> None:
    assert parse_time(text) == expected


def test_header_names_with_spaces_slashes_and_dots(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "Artist Name,Track.Name,Date/Time\nA,B,2020-01-01 10:00\n")
    [entry] = entries_of(path)
    assert (entry.artist, entry.title, entry.played_at) == ("A", "B", 1577872800.0)


def lastfm_api_track(uts: int | None, title: str) -> dict[str, object]:
    track: dict[str, object] = {
        "artist": {"mbid": "", "#text": "Björk"}, "album": {"mbid": "", "#text": "Post"},
        "name": title, "mbid": "ABC", "url": "https://www.last.fm/music/x"}  # fmt: skip
    if uts is None:
        track["@attr"] = {"nowplaying": "true"}
    else:
        track["date"] = {"uts": str(uts), "#text": "08 Sep 2018, 11:52"}
    return track


def test_lastfm_api_pages(tmp_path: Path) -> None:
    page = {"recenttracks": {"track": [lastfm_api_track(None, "Now"),
                                       lastfm_api_track(1536407564, "Army of Me")]}}  # fmt: skip
    now, army = entries_of(write(tmp_path, "page1.json", json.dumps(page)))
    assert now.ignored and (army.artist, army.album, army.title, army.mbid, army.played_at) == (
        "Björk", "Post", "Army of Me", "abc", 1536407564.0)  # fmt: skip
    backup = [page, {"recenttracks": {"track": lastfm_api_track(1536407000, "Hyperballad")}}]
    entries = entries_of(write(tmp_path, "backup.json", json.dumps(backup)))
    assert [(e.index, e.title) for e in entries] == [
        (1, "Now"), (2, "Army of Me"), (3, "Hyperballad")]  # fmt: skip
    extended = lastfm_api_track(1536407564, "Isobel")
    extended["artist"] = {"name": "Björk", "mbid": ""}
    [isobel] = entries_of(write(tmp_path, "tracks.json", json.dumps([extended])))
    assert (isobel.artist, isobel.source) == ("Björk", Source.LASTFM)


def test_a_json_array_of_flat_objects_named_like_csv_columns(tmp_path: Path) -> None:
    rows = [{"uts": 1536407564, "utc_time": "08 Sep 2018, 11:52", "artist": "Björk",
             "artist_mbid": "", "album": "Post", "album_mbid": None, "track": "Army of Me",
             "track_mbid": "ABC"},
            {"uts": "yesterday", "artist": "Björk", "track": "Hyperballad"}]  # fmt: skip
    army, bad = entries_of(write(tmp_path, "scrobbles.json", json.dumps(rows)))
    assert (army.source, army.played_at, army.album, army.title, army.mbid) == (
        Source.LASTFM, 1536407564.0, "Post", "Army of Me", "abc")  # fmt: skip
    assert bad.index == 2 and "bad date 'yesterday'" in bad.error
