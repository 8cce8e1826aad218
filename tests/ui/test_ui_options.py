"""The options of issue #27 in the wired window: ReplayGain applied and shown, the rescan at
start and the watcher following the setting, and the settings dialog and store."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from player.app import PlayerParts
from player.db.engine import Database
from player.replaygain import GainMode
from player.scanner import scan
from player.ui.settings_dialog import SettingsDialog
from player.ui.settings_store import Options, SettingsStore
from tests.audio import make_audio, write_replaygain

WAIT_MS = 30_000
GAINS = {
    "REPLAYGAIN_TRACK_GAIN": "-6.0 dB",
    "REPLAYGAIN_TRACK_PEAK": "0.5",
    "REPLAYGAIN_ALBUM_GAIN": "-8.0 dB",
    "REPLAYGAIN_ALBUM_PEAK": "0.6",
}


def tagged_album(music_dir: Path) -> list[Path]:
    """Album 1 of the ``music_dir`` fixture (MP3) with ReplayGain tags."""
    paths = sorted((music_dir / "Artist 1" / "Album 1").glob("*.mp3"))
    for path in paths:
        write_replaygain(path, "mp3", GAINS)
    return paths


def loaded(qtbot, parts: PlayerParts) -> None:
    with qtbot.waitSignal(parts.window.library_loaded, timeout=WAIT_MS):
        parts.window.start()


def test_album_gain_while_an_album_plays_through(
    qtbot, player_parts, music_dir: Path, db: Database
) -> None:
    parts = player_parts
    tagged_album(music_dir)
    scan(db, [music_dir])
    loaded(qtbot, parts)
    parts.playback.set_volume(0.5)
    rows = [r for r in parts.window.model.rows() if r.album == "Album 1"]
    album = sorted(rows, key=lambda r: r.track_number or 0)
    parts.controller.play_through(album)
    panel = parts.window.now_playing
    assert panel.gain.text() == "ReplayGain: −8.0 dB (album)"
    assert parts.playback.volume == 0.5  # the user's volume is untouched
    assert math.isclose(parts.playback.output_volume, 0.5 * 10 ** (-8 / 20), rel_tol=1e-3)
    parts.gain.set_mode(GainMode.TRACK)
    assert panel.gain.text() == "ReplayGain: −6.0 dB (track)"
    assert math.isclose(parts.playback.output_volume, 0.5 * 10 ** (-6 / 20), rel_tol=1e-3)
    parts.gain.set_mode(GainMode.OFF)
    assert parts.playback.output_volume == pytest.approx(0.5) and panel.gain.isHidden()
    parts.playback.stop()


def test_a_single_track_plays_at_its_track_gain(
    qtbot, player_parts, music_dir: Path, db: Database
) -> None:
    parts = player_parts
    tagged_album(music_dir)
    other = make_audio(music_dir / "Loose" / "one.mp3", tags={"title": "Loose", "artist": "X"})
    write_replaygain(
        other, "mp3", {"REPLAYGAIN_TRACK_GAIN": "+12 dB", "REPLAYGAIN_TRACK_PEAK": "0.8"}
    )
    scan(db, [music_dir])
    loaded(qtbot, parts)
    parts.playback.set_volume(0.5)
    by_title = {r.title: r for r in parts.window.model.rows()}
    parts.controller.play_through([by_title["Song 1.1"], by_title["Song 2.1"]])
    assert parts.window.now_playing.gain.text() == "ReplayGain: −6.0 dB (track)"
    parts.controller.play_through([by_title["Loose"]])  # +12 dB, held down to 1 / 0.8
    assert parts.window.now_playing.gain.text() == (
        "ReplayGain: +1.9 dB (track, held down by the peak)"
    )
    assert parts.playback.output_volume == pytest.approx(0.5 / 0.8, rel=1e-3)
    untagged = by_title["Song 2.1"]
    parts.controller.play_through([untagged])
    assert parts.window.now_playing.gain.text() == "ReplayGain: none in the tags"
    assert parts.playback.output_volume == pytest.approx(0.5)
    parts.playback.stop()


def test_start_rescans_the_folders_then_watches_them(
    qtbot, player_parts, music_dir: Path, db: Database
) -> None:
    parts = player_parts
    scan(db, [music_dir])
    make_audio(music_dir / "while closed.ogg", tags={"title": "While closed", "artist": "A"})
    parts.store.set_music_folders([music_dir])
    parts.store.set_options(Options())  # the default: watching on
    with qtbot.waitSignals([parts.window.library_scanned, parts.watcher.watching], timeout=WAIT_MS):
        parts.window.start()
    assert "While closed" in {r.title for r in parts.window.model.rows()}
    assert parts.watcher.folders == [music_dir]
    with qtbot.waitSignal(parts.window.library_scanned, timeout=WAIT_MS) as done:
        make_audio(music_dir / "while open.ogg", tags={"title": "While open", "artist": "A"})
    assert done.args[0].added == 1
    assert "While open" in {r.title for r in parts.window.model.rows()}
    assert parts.window.status.bar.currentMessage().startswith("Library updated: 1 added")
    model = parts.window.model
    count = len(model.rows())
    (new,) = [r for r in model.rows() if r.title == "While open"]
    moved = music_dir / "Artist 1" / "moved.ogg"
    with qtbot.waitSignal(parts.window.library_scanned, timeout=WAIT_MS) as done:
        os.rename(new.path, moved)
    assert done.args[0].moved == 1
    assert len(model.rows()) == count and model.track(new.id).path == str(moved)
    with qtbot.waitSignal(parts.window.library_scanned, timeout=WAIT_MS) as done:
        moved.unlink()
    assert done.args[0].missing == 1 and not model.track(new.id).available


def test_watching_off_means_no_rescan_and_no_watch(
    qtbot, player_parts, music_dir: Path, db: Database
) -> None:
    parts = player_parts
    scan(db, [music_dir])
    parts.store.set_music_folders([music_dir])
    parts.store.set_options(Options(watch=False))
    with qtbot.assertNotEmitted(parts.window.library_scanned, wait=500):
        loaded(qtbot, parts)
    assert parts.watcher.folders == []
    with qtbot.waitSignal(parts.watcher.watching, timeout=WAIT_MS):
        parts.store.set_options(Options(watch=True))  # as the settings dialog does
        parts.window.options_changed.emit(Options(watch=True))
    assert parts.watcher.folders == [music_dir]


def test_options_round_trip_and_bad_values(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "segue.ini")
    assert store.options() == Options(watch=True, replaygain=GainMode.AUTO, notifications=False)
    chosen = Options(watch=False, replaygain=GainMode.ALBUM, notifications=True)
    store.set_options(chosen)
    store.sync()
    assert SettingsStore(tmp_path / "segue.ini").options() == chosen
    store.set_value("playback/replaygain", "loudest")
    store.set_value("library/watch", "maybe")
    assert store.options() == Options(replaygain=GainMode.AUTO, notifications=True)


def test_settings_dialog_shows_and_returns_the_options(qtbot) -> None:
    chosen = Options(watch=False, replaygain=GainMode.TRACK, notifications=True)
    dialog = SettingsDialog([Path("/m")], None, chosen)
    qtbot.addWidget(dialog)
    assert dialog.options() == chosen
    dialog.replaygain.setCurrentIndex(dialog.replaygain.findData("off"))
    dialog.watch.setChecked(True)
    assert dialog.options() == Options(watch=True, replaygain=GainMode.OFF, notifications=True)


def test_notification_cover_is_the_cached_thumbnail_file(qapp, tmp_path: Path) -> None:
    from player.ui.cover_cache import CoverCache
    from tests.audio import cover_image

    art = make_audio(tmp_path / "a.flac", cover=cover_image("png"))
    covers = CoverCache(tmp_path / "covers", size=64)
    file = covers.thumbnail_file(str(art), None, True)
    assert file is not None and file.parent == tmp_path / "covers" and file.suffix == ".png"
    assert covers.thumbnail_file(str(make_audio(tmp_path / "b.ogg")), None, False) is None
