"""ReplayGain (issue #27): tags of every format written by mutagen, the gain to play at (limits,
nonsense values), and the schema upgrade that adds the columns."""

from __future__ import annotations

import logging
import math
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from player.db.engine import alembic_config, head_revision, open_database
from player.library import load_track_rows
from player.replaygain import (
    AppliedGain,
    GainMode,
    ReplayGain,
    album_through,
    applied_gain,
    parse_gain,
    parse_peak,
)
from player.scanner import scan
from player.tags import read_tags
from tests.audio import make_audio, write_replaygain

VALUES = {
    "REPLAYGAIN_TRACK_GAIN": "-6.20 dB",
    "REPLAYGAIN_TRACK_PEAK": "0.988525",
    "REPLAYGAIN_ALBUM_GAIN": "-7.5 dB",
    "REPLAYGAIN_ALBUM_PEAK": "1.000000",
}
EXPECTED = ReplayGain(-6.2, 0.988525, -7.5, 1.0)


@pytest.mark.parametrize("fmt", ["mp3", "flac", "ogg", "opus", "m4a", "wv", "wma"])
def test_every_tag_format_is_read(tmp_path: Path, fmt: str) -> None:
    path = make_audio(tmp_path / f"a.{fmt}", tags={"title": "T", "artist": "A"})
    assert read_tags(str(path)).replaygain is None
    write_replaygain(path, fmt, VALUES)
    assert read_tags(str(path)).replaygain == EXPECTED


def test_mp3gain_apev2_tag_in_an_mp3_is_read(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.mp3", tags={"title": "T", "artist": "A"})
    write_replaygain(path, "wv", VALUES)  # an APEv2 tag at the end, as mp3gain writes it
    info = read_tags(str(path))
    assert info.replaygain == EXPECTED and info.title == "T"


def test_opus_r128_gain_is_converted(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.opus", tags={"title": "T"})
    write_replaygain(path, "opus", {"R128_TRACK_GAIN": "-2560", "R128_ALBUM_GAIN": "-1280"})
    # Q7.8 relative to -23 LUFS: -10 dB there is -5 dB at ReplayGain's -18 LUFS.
    assert read_tags(str(path)).replaygain == ReplayGain(-5.0, None, 0.0, None)
    write_replaygain(path, "opus", {"REPLAYGAIN_TRACK_GAIN": "-3 dB"})  # ReplayGain's own tag wins
    gain = read_tags(str(path)).replaygain
    assert gain is not None and gain.track_gain == -3.0


def test_nonsense_values_are_ignored_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = make_audio(tmp_path / "a.flac", tags={"title": "T"})
    write_replaygain(
        path,
        "flac",
        {
            "REPLAYGAIN_TRACK_GAIN": "+99 dB",
            "REPLAYGAIN_TRACK_PEAK": "loud",
            "REPLAYGAIN_ALBUM_GAIN": "NaN",
            "REPLAYGAIN_ALBUM_PEAK": "-1",
        },
    )
    with caplog.at_level(logging.WARNING, logger="player.replaygain"):
        info = read_tags(str(path))
    assert info.replaygain is None and info.title == "T"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4 and all(str(path) in line for line in lines)
    assert any("+99 dB" in line for line in lines)


@pytest.mark.parametrize("text", ["+99 dB", "loud", "nan", "inf dB", "", "-6.2 dB extra", "--3"])
def test_parse_gain_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_gain(text)


@pytest.mark.parametrize(
    ("text", "value"), [("-6.20 dB", -6.2), ("+3,5 dB", 3.5), ("−1.5 dB", -1.5), ("2", 2.0)]
)
def test_parse_gain_reads_what_taggers_write(text: str, value: float) -> None:
    assert parse_gain(text) == pytest.approx(value)


def test_parse_peak() -> None:
    assert parse_peak("0.988525") == pytest.approx(0.988525)
    assert parse_peak("1.2e-1") == pytest.approx(0.12)
    for bad in ("0", "-0.5", "nan", "1e9", "peak"):
        with pytest.raises(ValueError):
            parse_peak(bad)


def db_of(gain: AppliedGain) -> float:
    return round(gain.db, 3)


def test_mode_chooses_track_or_album_gain() -> None:
    gain = ReplayGain(track_gain=-6.0, track_peak=0.5, album_gain=-8.0, album_peak=0.6)
    assert applied_gain(gain, GainMode.OFF, True) == AppliedGain()
    assert (db_of(applied_gain(gain, GainMode.TRACK, True)), "track") == (-6.0, "track")
    assert applied_gain(gain, GainMode.ALBUM, False).source == "album"
    assert applied_gain(gain, GainMode.AUTO, True).source == "album"
    assert applied_gain(gain, GainMode.AUTO, False).source == "track"
    only_track = ReplayGain(track_gain=-4.0, track_peak=0.5)
    assert applied_gain(only_track, GainMode.ALBUM, True).source == "track"  # falls back
    assert applied_gain(None, GainMode.AUTO, True) == AppliedGain()


def test_peak_protection_limits_the_gain() -> None:
    # +10 dB would drive a 0.5 peak to 1.58: held at 1 / 0.5 (+6.02 dB).
    applied = applied_gain(ReplayGain(track_gain=10.0, track_peak=0.5), GainMode.TRACK, False)
    assert applied.limited and applied.factor == pytest.approx(2.0)
    assert applied.factor * 0.5 <= 1.0
    # No peak known: never louder than unity.
    applied = applied_gain(ReplayGain(track_gain=10.0), GainMode.TRACK, False)
    assert applied.factor == 1.0 and applied.limited
    # The track's own peak protects an album gain.
    gain = ReplayGain(track_gain=-1.0, track_peak=0.9, album_gain=3.0, album_peak=0.95)
    assert applied_gain(gain, GainMode.ALBUM, True).factor == pytest.approx(1 / 0.9)
    # A quieting gain is never limited.
    applied = applied_gain(ReplayGain(track_gain=-6.0, track_peak=1.2), GainMode.TRACK, False)
    assert not applied.limited and db_of(applied) == -6.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, 99.0, -99.0])
def test_nonsense_stored_values_count_as_missing(bad: float) -> None:
    gain = ReplayGain(track_gain=bad, track_peak=0.5, album_gain=None)
    assert applied_gain(gain, GainMode.TRACK, False) == AppliedGain()
    peaks = ReplayGain(track_gain=6.0, track_peak=bad if bad > 0 else -1.0)
    assert applied_gain(peaks, GainMode.TRACK, False).factor <= 1.0


def test_describe_reads_as_the_panel_shows_it() -> None:
    applied = applied_gain(ReplayGain(album_gain=-6.2), GainMode.ALBUM, True)
    assert applied.describe() == "ReplayGain: −6.2 dB (album)"
    limited = applied_gain(ReplayGain(track_gain=4.0, track_peak=0.9), GainMode.TRACK, False)
    assert limited.describe() == "ReplayGain: +0.9 dB (track, held down by the peak)"
    assert AppliedGain().describe() == "ReplayGain: none in the tags"


def test_album_through_needs_a_neighbour_of_the_same_album() -> None:
    a, b = ("x", "kind of blue"), ("y", "blue train")
    assert album_through(a, a, None) and album_through(None, a, a)
    assert not album_through(b, a, b) and not album_through(None, None, None)


def test_scan_stores_the_gains(db, tmp_path: Path) -> None:
    path = make_audio(tmp_path / "m" / "a.mp3", tags={"title": "T", "artist": "A"})
    write_replaygain(path, "mp3", VALUES)
    make_audio(tmp_path / "m" / "b.mp3", tags={"title": "U", "artist": "A"})
    scan(db, [tmp_path / "m"])
    rows = {r.title: r for r in load_track_rows(db)}
    assert rows["T"].replaygain == EXPECTED and rows["U"].replaygain is None


def test_upgrade_adds_the_columns_and_rereads_the_tags(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    engine = create_engine(f"sqlite:///{path}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    music = make_audio(tmp_path / "m" / "a.mp3", tags={"title": "T"})
    write_replaygain(music, "mp3", VALUES)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO tracks (path, size, mtime, title, artist, album_artist, album, genre,"
            " codec, has_embedded_cover, available, added_at)"
            " VALUES (?, ?, ?, 'T', 'A', '', '', '', 'mp3', 0, 1, 0)",
            (str(music), music.stat().st_size, music.stat().st_mtime),
        )
    db = open_database(path)
    try:
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (
                head_revision(),
            )
        report = scan(db, [tmp_path / "m"])
        assert report.updated == 1  # read again although size and mtime did not change
        (row,) = load_track_rows(db)
        assert row.replaygain == EXPECTED
    finally:
        db.close()
