"""Scanning real audio files: formats, tags, covers, incremental rescans, moves, cancel."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import func, select

from player.covers import cover_bytes
from player.db.engine import Database
from player.db.models import Track
from player.history import History
from player.library import get_track, load_track_rows
from player.plugin_api import Origin, Outcome
from player.scanner import ScanProgress, scan
from tests.audio import cover_image, make_audio, make_library


def rows_by_title(db: Database) -> dict[str, Track]:
    with db.session() as s:
        return {t.title: t for t in s.scalars(select(Track))}


def test_every_format_is_read_with_its_tags(db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", n_albums=6, tracks_per_album=2)
    report = scan(db, [tmp_path / "music"])
    assert (report.added, report.failed, report.cancelled) == (12, [], False)
    rows = rows_by_title(db)
    assert {r.codec for r in rows.values()} == {"mp3", "flac", "vorbis", "opus", "aac", "pcm"}
    song = rows["Song 2.2"]  # album 2 is FLAC
    assert (song.artist, song.album, song.album_artist, song.genre) == (
        "Artist 2", "Album 2", "Artist 2", "Jazz",
    )  # fmt: skip
    assert (song.track_number, song.disc_number, song.year) == (2, 1, 2001)
    assert song.duration_ms is not None and 900 <= song.duration_ms <= 1100
    assert all(r.available for r in rows.values())


def test_unchanged_rescan_reads_nothing_and_changes_are_seen(db: Database, tmp_path: Path) -> None:
    paths = make_library(tmp_path / "music", n_albums=2, tracks_per_album=3)
    scan(db, [tmp_path / "music"])
    report = scan(db, [tmp_path / "music"])
    assert (report.added, report.updated, report.unchanged) == (0, 0, 6)
    make_audio(paths[0], tags={"title": "Retitled", "artist": "Someone"})
    os.utime(paths[0], (1_000_000, 1_000_000))
    report = scan(db, [tmp_path / "music"])
    assert (report.updated, report.unchanged) == (1, 5)
    assert rows_by_title(db)["Retitled"].artist == "Someone"


def test_missing_tags_fall_back_to_file_name(db: Database, tmp_path: Path) -> None:
    make_audio(tmp_path / "music" / "Blue in Green.ogg", tags=None)
    scan(db, [tmp_path / "music"])
    track = rows_by_title(db)["Blue in Green"]
    assert (track.artist, track.album, track.track_number) == ("Unknown artist", "", None)


def test_embedded_and_folder_covers(db: Database, tmp_path: Path) -> None:
    jpeg, png = cover_image("jpg"), cover_image("png")
    make_audio(tmp_path / "m" / "a" / "one.m4a", tags={"title": "one"}, cover=jpeg)
    make_audio(tmp_path / "m" / "b" / "two.flac", tags={"title": "two"})
    (tmp_path / "m" / "b" / "Folder.PNG").write_bytes(png)
    make_audio(tmp_path / "m" / "c" / "three.mp3", tags={"title": "three"})
    scan(db, [tmp_path / "m"])
    rows = {r.title: r for r in load_track_rows(db)}
    assert rows["one"].has_embedded_cover and rows["one"].cover_path is None
    assert cover_bytes(rows["one"].path, None, True) == jpeg
    assert not rows["two"].has_embedded_cover
    assert rows["two"].cover_path == str(tmp_path / "m" / "b" / "Folder.PNG")
    assert cover_bytes(rows["two"].path, rows["two"].cover_path, False) == png
    assert cover_bytes(rows["three"].path, rows["three"].cover_path, False) is None
    # A cover added later is picked up by a rescan, without re-reading the audio file.
    (tmp_path / "m" / "c" / "cover.jpg").write_bytes(jpeg)
    report = scan(db, [tmp_path / "m"])
    assert report.updated == 1
    three = get_track(db, rows["three"].id)
    assert three is not None and three.cover_path == str(tmp_path / "m" / "c" / "cover.jpg")


def test_vanished_file_is_kept_unavailable_then_restored(db: Database, tmp_path: Path) -> None:
    paths = make_library(tmp_path / "music", n_albums=1, tracks_per_album=3)
    scan(db, [tmp_path / "music"])
    track_id = rows_by_title(db)["Song 1.1"].id
    history = History(db)
    play = history.play_started(track_id, Origin.USER)
    history.play_ended(play, Outcome.FINISHED, position_ms=1000, played_ms=1000)
    aside = tmp_path / "aside.mp3"
    shutil.move(paths[0], aside)
    report = scan(db, [tmp_path / "music"])
    assert (report.missing, report.unchanged) == (1, 2)
    row = get_track(db, track_id)
    assert row is not None and not row.available and row.play_count == 1
    assert scan(db, [tmp_path / "music"]).missing == 0  # counted once
    shutil.move(aside, paths[0])
    report = scan(db, [tmp_path / "music"])
    assert (report.restored, report.added) == (1, 0)
    row = get_track(db, track_id)
    assert row is not None and row.available and row.play_count == 1


def test_moved_file_keeps_its_row_and_history(db: Database, tmp_path: Path) -> None:
    paths = make_library(tmp_path / "music", n_albums=1, tracks_per_album=2)
    scan(db, [tmp_path / "music"])
    track_id = rows_by_title(db)["Song 1.2"].id
    history = History(db)
    play = history.play_started(track_id, Origin.RADIO)
    history.play_ended(play, Outcome.SKIPPED, position_ms=500, played_ms=500)
    history.close_session()
    target = tmp_path / "music" / "Elsewhere" / "renamed.mp3"
    target.parent.mkdir()
    shutil.move(paths[1], target)
    report = scan(db, [tmp_path / "music"])
    assert (report.moved, report.added, report.missing) == (1, 0, 0)
    row = get_track(db, track_id)
    assert row is not None and row.path == str(target) and row.available
    assert history.closed_sessions_since()[0].plays[0].track_id == track_id
    with db.session() as s:
        assert s.scalar(select(func.count(Track.id))) == 2


def test_progress_cancel_and_batches(db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", n_albums=2, tracks_per_album=10)
    seen: list[ScanProgress] = []
    files_checked = 0

    def stop_after_twelve_files() -> bool:
        nonlocal files_checked
        if any(p.total for p in seen):  # the listing is over: each check is now one file
            files_checked += 1
        return files_checked > 12

    report = scan(
        db, [tmp_path / "music"], progress=seen.append, should_stop=stop_after_twelve_files,
        batch_size=5,
    )  # fmt: skip
    assert report.cancelled and report.added == 12 and report.missing == 0
    assert any(p.total == 20 and p.done == 0 for p in seen)
    with db.session() as s:
        assert s.scalar(select(func.count(Track.id))) == 12  # the partial work is saved
    report = scan(db, [tmp_path / "music"], progress=seen.append)
    assert (report.added, report.unchanged, report.cancelled) == (8, 12, False)
    assert seen[-1].done == seen[-1].total == 20


def test_rows_appear_while_the_scan_runs(db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", n_albums=1, tracks_per_album=12)
    listed: list[bool] = []
    visible: list[int] = []

    def look() -> bool:
        if listed:
            visible.append(len(load_track_rows(db)))
        return False

    def on_progress(progress: ScanProgress) -> None:
        if progress.total:
            listed.append(True)

    scan(db, [tmp_path / "music"], progress=on_progress, should_stop=look, batch_size=4)
    assert visible[0] == 0 and 0 < visible[6] < 12


def test_folder_not_found_leaves_its_tracks_alone(db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", n_albums=1, tracks_per_album=2)
    scan(db, [tmp_path / "music"])
    shutil.move(tmp_path / "music", tmp_path / "unmounted")
    report = scan(db, [tmp_path / "music"])
    assert report.missing == 0 and "folder not found" in report.failed[0][1]
    assert all(r.available for r in load_track_rows(db))


def test_cancel_while_listing_changes_nothing(db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "music", n_albums=2, tracks_per_album=1)
    report = scan(db, [tmp_path / "music"], should_stop=lambda: True)
    assert report.cancelled and report.added == 0
    assert load_track_rows(db) == []


def test_move_to_a_new_folder_scanned_alone(db: Database, tmp_path: Path) -> None:
    paths = make_library(tmp_path / "old", n_albums=1, tracks_per_album=2)
    scan(db, [tmp_path / "old"])
    ids = {r.title: r.id for r in load_track_rows(db)}
    shutil.move(tmp_path / "old", tmp_path / "new")
    report = scan(db, [tmp_path / "new"])  # the old folder is not scanned any more
    assert (report.moved, report.added) == (2, 0)
    rows = {r.title: r for r in load_track_rows(db)}
    assert {t: r.id for t, r in rows.items()} == ids
    assert rows["Song 1.1"].path == str(tmp_path / "new" / paths[0].relative_to(tmp_path / "old"))


def test_a_copy_is_a_new_track_not_a_move(db: Database, tmp_path: Path) -> None:
    paths = make_library(tmp_path / "a", n_albums=1, tracks_per_album=1)
    scan(db, [tmp_path / "a"])
    copy = tmp_path / "b" / "copy.mp3"
    copy.parent.mkdir()
    shutil.copy(paths[0], copy)
    report = scan(db, [tmp_path / "b"])
    assert (report.moved, report.added) == (0, 1)
    assert all(r.available for r in load_track_rows(db))
