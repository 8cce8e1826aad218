"""Playlists in the library (issue #27): create, rename, delete, reorder; missing entries are kept
and attach again when a scan finds their file, also moved."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from player.db.engine import Database, alembic_config, open_database
from player.db.models import Track
from player.library import load_track_rows
from player.playlists.attach import attach_entries
from player.playlists.import_export import export_playlist, import_playlist
from player.playlists.store import (
    PlaylistError,
    add_entries,
    create_playlist,
    delete_playlist,
    find_playlist,
    list_playlists,
    move_entries,
    playlist_items,
    remove_entries,
    rename_playlist,
)
from player.scanner import scan
from tests.audio import make_audio, make_library


@dataclass(frozen=True)
class Source:
    """An entry source shaped like the queue's entries."""

    track_id: int
    path: str
    title: str
    artist: str
    album: str
    duration_ms: int | None


def library(db: Database, root: Path) -> list[Source]:
    make_library(root, 1, 4)
    scan(db, [root])
    rows = sorted(load_track_rows(db), key=lambda r: r.path)
    return [Source(r.id, r.path, r.title, r.artist, r.album, r.duration_ms) for r in rows]


def titles(db: Database, playlist_id: int) -> list[str]:
    return [item.title for item in playlist_items(db, playlist_id)]


def test_create_rename_reorder_remove_delete(db: Database, tmp_path: Path) -> None:
    tracks = library(db, tmp_path / "music")
    made = create_playlist(db, "  Morning   mix ", tracks)
    assert (made.name, made.entries, made.missing) == ("Morning mix", 4, 0)
    assert titles(db, made.id) == ["Song 1.1", "Song 1.2", "Song 1.3", "Song 1.4"]
    with pytest.raises(PlaylistError, match="already exists"):
        create_playlist(db, "Morning mix", [])
    with pytest.raises(PlaylistError, match="needs a name"):
        rename_playlist(db, made.id, "   ")
    assert rename_playlist(db, made.id, " Morning  mix").updated_at == made.updated_at
    renamed = rename_playlist(db, made.id, "Evening")
    assert renamed.name == "Evening" and renamed.updated_at >= made.updated_at
    assert find_playlist(db, "Morning mix") is None
    items = playlist_items(db, made.id)
    # Drag the first and third entries to the end, then the last to the top.
    move_entries(db, made.id, [items[0].entry_id, items[2].entry_id], 4)
    assert titles(db, made.id) == ["Song 1.2", "Song 1.4", "Song 1.1", "Song 1.3"]
    last = playlist_items(db, made.id)[-1]
    after = move_entries(db, made.id, [last.entry_id], 0)
    assert [i.title for i in after] == ["Song 1.3", "Song 1.2", "Song 1.4", "Song 1.1"]
    assert [i.position for i in after] == [0, 1, 2, 3]
    left = remove_entries(db, made.id, [after[1].entry_id])
    assert [(i.title, i.position) for i in left] == [
        ("Song 1.3", 0),
        ("Song 1.4", 1),
        ("Song 1.1", 2),
    ]
    create_playlist(db, "another", tracks[:1])
    delete_playlist(db, made.id)
    assert [p.name for p in list_playlists(db)] == ["another"]
    assert len(load_track_rows(db)) == 4  # the tracks stay


def test_add_entries_at_a_row_or_at_the_end(db: Database, tmp_path: Path) -> None:
    tracks = library(db, tmp_path / "music")
    made = create_playlist(db, "grow", tracks[:2])
    add_entries(db, made.id, tracks[2:4], at=1)
    assert titles(db, made.id) == ["Song 1.1", "Song 1.3", "Song 1.4", "Song 1.2"]
    after = add_entries(db, made.id, tracks[:1])
    assert [i.title for i in after][-1] == "Song 1.1" and [i.position for i in after] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert add_entries(db, made.id, []) == after
    delete_playlist(db, made.id)
    with pytest.raises(PlaylistError, match="no longer exists"):
        add_entries(db, made.id, tracks[:1])


def test_list_counts_missing_and_sorts_by_name(db: Database, tmp_path: Path) -> None:
    tracks = library(db, tmp_path / "music")
    create_playlist(db, "b side", tracks)
    create_playlist(db, "Empty", [])
    Path(tracks[0].path).unlink()
    scan(db, [tmp_path / "music"])
    listed = [(p.name, p.entries, p.missing) for p in list_playlists(db)]
    assert listed == [("b side", 4, 1), ("Empty", 0, 0)]
    first = playlist_items(db, find_playlist(db, "b side").id)[0]  # type: ignore[union-attr]
    assert first.title == "Song 1.1" and not first.available  # kept, shown as missing


def test_a_moved_file_keeps_its_entry_attached(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    tracks = library(db, music)
    made = create_playlist(db, "moves", tracks[:2])
    moved = music / "elsewhere" / "renamed.mp3"
    moved.parent.mkdir()
    shutil.move(tracks[0].path, moved)
    report = scan(db, [music])
    assert report.moved == 1
    first = playlist_items(db, made.id)[0]
    assert first.available and first.path == str(moved) and first.track_id == tracks[0].track_id


def test_imported_entries_attach_when_a_scan_finds_the_file(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    playlist = music / "list.m3u8"
    playlist.write_text(
        "#EXTM3U\n"
        "#EXTINF:1,Band - Here later\nlater.flac\n"
        "#EXTINF:1,Band - Moved in\nold place/moved.ogg\n"
        "#EXTINF:1,Band - Never\nnever.mp3\n"
    )
    report = import_playlist(db, playlist)
    info = report.playlist
    assert (info.name, info.entries, info.missing) == ("list", 3, 3)
    make_audio(music / "later.flac", tags={"title": "Here later", "artist": "Band"})
    # Elsewhere under another name: found by title, artist and duration.
    make_audio(music / "new place" / "x.ogg", tags={"title": "Moved in", "artist": "Band"})
    assert scan(db, [music]).playlist_entries == 2
    items = playlist_items(db, info.id)
    assert [(i.title, i.available) for i in items] == [
        ("Here later", True), ("Moved in", True), ("Never", False),
    ]  # fmt: skip
    assert items[1].path == str(music / "new place" / "x.ogg")
    assert attach_entries(db) == 0  # nothing left to attach; "Never" waits


def test_tag_match_needs_a_close_duration_and_prefers_the_album(
    db: Database, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    make_audio(music / "a.mp3", seconds=1, tags={"title": "T", "artist": "A", "album": "Live"})
    make_audio(music / "b.mp3", seconds=1, tags={"title": "T", "artist": "A", "album": "Studio"})
    scan(db, [music])
    listing = tmp_path / "x.xspf"
    listing.write_text(
        '<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>'
        "<track><location>gone/t.mp3</location><title>t</title><creator>a</creator>"
        "<album>Studio</album><duration>1000</duration></track>"
        "<track><location>gone/u.mp3</location><title>T</title><creator>A</creator>"
        "<duration>9000</duration></track>"
        "</trackList></playlist>"
    )
    items = playlist_items(db, import_playlist(db, listing).playlist.id)
    assert items[0].available and items[0].album == "Studio"  # same title, case aside
    assert not items[1].available  # 9 s against 1 s: another recording


def test_tag_matching_is_the_history_importers(db: Database, tmp_path: Path) -> None:
    """Featured artists, case and typographic apostrophes aside, as ``segue import`` matches."""
    music = tmp_path / "music"
    make_audio(music / "x.ogg", tags={"title": "Don't Stop", "artist": "Band"})
    make_audio(music / "y.ogg", tags={"title": "Song", "artist": "Band"})
    scan(db, [music])
    listing = tmp_path / "x.m3u8"
    listing.write_text(
        "#EXTINF:1,Band feat. Guest - DON’T STOP\nold/x.ogg\n"
        "#EXTINF:1,Band - Song (Live)\nold/y.ogg\n"  # a weaker match (version part): not taken
    )
    items = playlist_items(db, import_playlist(db, listing).playlist.id)
    assert [(i.title, i.available) for i in items] == [("Don't Stop", True), ("Song (Live)", False)]


def test_a_library_from_before_playlists_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    db = open_database(path)
    with db.session() as s, s.begin():
        s.add(Track(path="/m/kept.mp3", title="kept"))
    db.close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:  # back to the schema before this migration
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003_playlists-1")
    with engine.connect() as connection:
        assert "playlists" not in inspect(connection).get_table_names()
    engine.dispose()
    db = open_database(path)
    try:
        assert list(path.parent.glob("library.db.bak-*"))  # copied before upgrading
        made = create_playlist(db, "after", [])
        assert [p.name for p in list_playlists(db)] == [made.name]
        assert [r.title for r in load_track_rows(db)] == ["kept"]
    finally:
        db.close()


def test_a_name_that_is_not_utf8_round_trips_and_attaches(db: Database, tmp_path: Path) -> None:
    music = tmp_path / "music"
    odd = music / os.fsdecode(b"caf\xe9.mp3")
    make_audio(odd, tags={"title": "Odd", "artist": "X"})
    scan(db, [music])
    [row] = load_track_rows(db)
    made = create_playlist(db, "odd", [Source(row.id, row.path, "Odd", "X", "", row.duration_ms)])
    exported = tmp_path / "odd.m3u"
    assert export_playlist(db, "odd", exported) == 1
    assert exported.read_bytes().endswith(b"music/caf\xe9.mp3\n")
    imported = import_playlist(db, exported, "again").playlist
    for playlist_id in (made.id, imported.id):
        [item] = playlist_items(db, playlist_id)
        assert (item.path, item.track_id, item.available) == (str(odd), row.id, True)
