"""Scanning only the paths the folder watcher saw change (issue #27): files, folders, moves."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from player.db.engine import Database
from player.history import History
from player.library import load_track_rows
from player.plugin_api import Origin, Outcome
from player.scanner import scan
from tests.audio import cover_image, make_audio, make_library


def by_title(db: Database) -> dict[str, object]:
    return {r.title: r for r in load_track_rows(db)}


def test_only_the_given_paths_are_looked_at(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    paths = make_library(music, n_albums=2, tracks_per_album=2)
    scan(db, [music])
    new = make_audio(music / "Artist 1" / "Album 1" / "03 New.mp3", tags={"title": "New"})
    unseen = make_audio(music / "Artist 2" / "Unseen.mp3", tags={"title": "Unseen"})
    paths[3].unlink()  # gone, but not among the paths: left as it is
    report = scan(db, [music], paths=[new])
    assert (report.added, report.missing, report.unchanged) == (1, 0, 0)
    rows = by_title(db)
    assert "New" in rows and "Unseen" not in rows and rows["Song 2.2"].available
    report = scan(db, [music], paths=[unseen.parent])  # a folder: walked
    assert (report.added, report.missing, report.unchanged) == (1, 1, 1)
    assert not by_title(db)["Song 2.2"].available


def test_a_deleted_file_or_folder_is_marked_missing(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    paths = make_library(music, n_albums=2, tracks_per_album=2)
    scan(db, [music])
    paths[0].unlink()
    shutil.rmtree(paths[2].parent)
    report = scan(db, [music], paths=[paths[0], paths[2].parent])
    assert report.missing == 3
    assert [t for t, r in by_title(db).items() if r.available] == ["Song 1.2"]


def test_a_moved_file_keeps_its_history(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    paths = make_library(music, n_albums=1, tracks_per_album=2)
    scan(db, [music])
    track_id = by_title(db)["Song 1.2"].id
    history = History(db)
    play = history.play_started(track_id, Origin.USER)
    history.play_ended(play, Outcome.FINISHED, position_ms=1000, played_ms=1000)
    target = music / "Renamed" / "renamed.mp3"
    target.parent.mkdir()
    shutil.move(paths[1], target)
    report = scan(db, [music], paths=[paths[1], target])
    assert (report.moved, report.added, report.missing) == (1, 0, 0)
    row = by_title(db)["Song 1.2"]
    assert (row.id, row.path, row.available, row.play_count) == (track_id, str(target), True, 1)


def test_a_moved_folder_keeps_its_tracks(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    make_library(music, n_albums=1, tracks_per_album=3)
    scan(db, [music])
    ids = {t: r.id for t, r in by_title(db).items()}
    old, new = music / "Artist 1", music / "Renamed Artist"
    os.rename(old, new)
    report = scan(db, [music], paths=[old, new])
    assert (report.moved, report.added, report.missing) == (3, 0, 0)
    assert {t: r.id for t, r in by_title(db).items()} == ids


def test_outside_hidden_and_unmounted_paths_are_left_alone(db: Database, tmp_path: Path) -> None:
    music, other = tmp_path / "music", tmp_path / "other"
    make_library(music, n_albums=1, tracks_per_album=2)
    scan(db, [music])
    outside = make_audio(other / "x.mp3", tags={"title": "Outside"})
    hidden = make_audio(music / ".trash" / "y.mp3", tags={"title": "Hidden"})
    report = scan(db, [music], paths=[outside, hidden, hidden.parent])
    assert not report.changed
    shutil.move(music, tmp_path / "unplugged")  # the whole music folder went away
    report = scan(db, [music], paths=[music / "Artist 1"])
    assert report.missing == 0 and all(r.available for r in load_track_rows(db))


def test_a_new_folder_cover_reaches_the_folders_tracks(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    paths = make_library(music, n_albums=1, tracks_per_album=2)
    scan(db, [music])
    cover = paths[0].parent / "cover.jpg"
    cover.write_bytes(cover_image())
    report = scan(db, [music], paths=[paths[0].parent])
    assert report.updated == 2
    assert {r.cover_path for r in load_track_rows(db)} == {str(cover)}
    new = make_audio(paths[0].parent / "03 Late.mp3", tags={"title": "Late"})
    scan(db, [music], paths=[new])  # a single file takes its folder's cover too
    assert by_title(db)["Late"].cover_path == str(cover)
