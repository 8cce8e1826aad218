"""Issue #24: an import becomes history (original times, source, sessions by the player's gap
rule, skips as the tracker writes them), once only, all or nothing; unmatched entries wait for
a scan that finds their files."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, UFID
from sqlalchemy import func, select

from player.db.engine import Database, open_database
from player.db.lock import exclusive_lock, scan_lock_path
from player.db.models import ImportedEntry, ListeningSession, Play, PlayEvent, Track
from player.history import SESSION_GAP_S, History
from player.history_import.store import ImportCancelled, import_history
from player.plugin_api import Origin, Outcome
from player.scanner import scan
from recommender.sessions import session_from_plays
from tests.audio import make_audio
from tests.faults import DEADLINE_S, segue_env, start_until

T0 = 1_600_000_000


def add_tracks(db: Database, *rows: tuple[str, str, int]) -> dict[str, int]:
    """Tracks (artist, title, duration ms); returns ids by title."""
    with db.session() as s, s.begin():
        tracks = [Track(path=f"/m/{title}.mp3", artist=artist, title=title, duration_ms=ms)
                  for artist, title, ms in rows]  # fmt: skip
        s.add_all(tracks)
        s.flush()
        return {t.title: t.id for t in tracks}


def lastfm(tmp_path: Path, rows: list[tuple[int, str, str]], name: str = "lastfm.csv") -> Path:
    path = tmp_path / name
    path.write_text("uts,artist,track\n" + "".join(f"{t},{a},{ti}\n" for t, a, ti in rows))
    return path


def count(db: Database, column: object) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(column))) or 0  # type: ignore[arg-type]


def test_plays_keep_their_times_and_source_and_split_by_the_session_gap(
    db: Database, tmp_path: Path
) -> None:
    ids = add_tracks(db, ("A", "One", 200_000), ("A", "Two", 200_000))
    gap = int(SESSION_GAP_S)
    export = lastfm(tmp_path, [(T0, "A", "One"), (T0 + 200, "A", "Two"),
                               (T0 + 400 + gap + 1, "A", "One")])  # fmt: skip
    summary, stage = import_history(db, [export])
    stage.close()
    assert (summary.entries, summary.matched, summary.plays_added) == (3, 3, 3)
    sessions = History(db).closed_sessions_since(0)
    assert [[p.track_id for p in s.plays] for s in sessions] == [
        [ids["One"], ids["Two"]], [ids["One"]]]  # fmt: skip
    first = sessions[0].plays[0]
    assert (first.started_at, first.outcome, first.origin, first.played_ms) == (
        T0, Outcome.FINISHED, Origin.USER, 200_000)  # fmt: skip
    with db.session() as s:
        assert set(s.scalars(select(Play.source))) == {"lastfm"}
        assert set(s.scalars(select(ListeningSession.source))) == {"import"}
        kinds = s.scalars(select(PlayEvent.kind).order_by(PlayEvent.id)).all()
    assert kinds == ["started", "finished"] * 3
    stats = History(db).stats()
    assert stats.imported == {"lastfm": 3} and stats.plays == 3 and stats.finished == 3


def test_spotify_short_plays_are_skips_the_way_segue_records_them(
    db: Database, tmp_path: Path
) -> None:
    ids = add_tracks(db, ("A", "Long", 300_000), ("A", "Short", 300_000))
    path = tmp_path / "StreamingHistory0.json"
    path.write_text(json.dumps([
        {"endTime": f"2020-09-13 12:{m}", "artistName": "A", "trackName": t, "msPlayed": ms}
        for m, t, ms in (("05", "Long", 295_000), ("06", "Short", 20_000), ("11", "Long", 290_000))
    ]))  # fmt: skip
    import_history(db, [path])[1].close()
    [session] = History(db).closed_sessions_since(0)
    assert [(p.track_id, p.outcome, p.played_ms) for p in session.plays] == [
        (ids["Long"], Outcome.FINISHED, 295_000), (ids["Short"], Outcome.SKIPPED, 20_000),
        (ids["Long"], Outcome.FINISHED, 290_000)]  # fmt: skip
    # Training reads it like a local session: the early skip is dropped.
    assert session_from_plays(session.plays).items == (ids["Long"], ids["Long"])


def test_importing_the_same_export_twice_adds_nothing(db: Database, tmp_path: Path) -> None:
    add_tracks(db, ("A", "One", 200_000))
    export = lastfm(tmp_path, [(T0, "A", "One"), (T0 + 300, "Nobody", "Else")])
    import_history(db, [export])[1].close()
    before = (count(db, Play.id), count(db, ImportedEntry.id), count(db, ListeningSession.id))
    again, stage = import_history(db, [export, lastfm(tmp_path, [(T0, "a", "ONE")], "copy.csv")])
    stage.close()
    assert (again.duplicate, again.plays_added) == (3, 0)
    assert (count(db, Play.id), count(db, ImportedEntry.id), count(db, ListeningSession.id)) == (
        before
    )


def test_one_listen_in_two_exports_is_one_play(db: Database, tmp_path: Path) -> None:
    add_tracks(db, ("A", "One", 200_000))
    spotify = tmp_path / "StreamingHistory0.json"  # ends 12:29:00, so it started 12:26:00
    spotify.write_text(json.dumps([{"endTime": "2020-09-13 12:29", "artistName": "A",
                                    "trackName": "One", "msPlayed": 180_000}]))  # fmt: skip
    scrobble = lastfm(tmp_path, [(T0, "A", "One")])  # 12:26:40, scrobbled from Spotify
    summary, stage = import_history(db, [spotify, scrobble])
    rows = list(stage.rows())
    stage.close()
    assert (summary.matched, summary.duplicate, summary.plays_added) == (1, 1, 1)
    assert rows[1][5] == "duplicate" and rows[1][7].startswith("already in history (a spotify")


def test_dry_run_and_cancel_write_nothing(db: Database, tmp_path: Path) -> None:
    add_tracks(db, ("A", "One", 200_000))
    export = lastfm(tmp_path, [(T0 + i * 600, "A", "One") for i in range(1200)])
    summary, stage = import_history(db, [export], dry_run=True)
    stage.close()
    assert summary.plays_added == 1200 and summary.dry_run
    assert count(db, Play.id) == 0 and count(db, ImportedEntry.id) == 0
    with pytest.raises(ImportCancelled):
        import_history(db, [export], should_stop=lambda: True)
    assert count(db, Play.id) == 0


def test_unmatched_entries_wait_for_a_scan_that_finds_their_files(
    db: Database, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    make_audio(music / "one.mp3", tags={"artist": "A", "title": "One"})
    scan(db, [music])
    export = lastfm(tmp_path, [(T0, "A", "One"), (T0 + 200, "B", "Two"), (T0 + 400, "A", "One")])
    summary, stage = import_history(db, [export])
    stage.close()
    assert (summary.matched, summary.unmatched) == (2, 1)
    assert History(db).stats().unmatched == 1
    make_audio(music / "two.ogg", tags={"artist": "b", "title": "two"})
    report = scan(db, [music])
    assert report.attached == 1
    [session] = History(db).closed_sessions_since(0)  # rejoined its neighbours, in time order
    assert [p.started_at for p in session.plays] == [T0, T0 + 200, T0 + 400]
    assert History(db).stats().unmatched == 0
    assert scan(db, [music]).attached == 0


def test_an_import_killed_half_way_leaves_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = open_database(data / "library.db")
    add_tracks(db, ("A", "One", 200_000))
    db.close()
    export = lastfm(tmp_path, [(T0 + i * 600, "A", "One") for i in range(300)])
    paused = start_until(
        "player.history_import.plays:PlayWriter.add",
        ["import", str(export), "--data-dir", str(data)], nth=200, env=segue_env(),
    )  # fmt: skip
    assert paused.reached
    paused.kill()
    with sqlite3.connect(data / "library.db") as check:
        assert check.execute("SELECT count(*) FROM plays").fetchone() == (0,)
        assert check.execute("SELECT count(*) FROM imported_entries").fetchone() == (0,)
    db = open_database(data / "library.db")
    summary, stage = import_history(db, [export])
    stage.close()
    db.close()
    assert summary.plays_added == 300


def test_musicbrainz_recording_ids_match_first(db: Database, tmp_path: Path) -> None:
    """Files tagged by Picard carry the recording id; an entry with the same id matches it
    whatever the names say (here a transliterated artist)."""
    music = tmp_path / "music"
    flac = make_audio(music / "a.flac", tags={"artist": "Кино", "title": "Группа крови"})
    tagged = FLAC(flac)
    tagged["musicbrainz_trackid"] = "6F1C9E4C-0000-4000-8000-000000000001"
    tagged.save()
    mp3 = make_audio(music / "b.mp3", tags={"artist": "Kino", "title": "Other"})
    tags = ID3(mp3)
    tags.add(UFID(owner="http://musicbrainz.org", data=b"6f1c9e4c-0000-4000-8000-000000000002"))
    tags.save()
    scan(db, [music])
    lines = [
        json.dumps({"listened_at": T0 + i * 300, "track_metadata": {
            "artist_name": "Kino", "track_name": title,
            "additional_info": {"recording_mbid": f"6f1c9e4c-0000-4000-8000-00000000000{i + 1}"}}})
        for i, title in enumerate(("Gruppa krovi", "Other (2019 Remaster)"))
    ]  # fmt: skip
    path = tmp_path / "listens.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _summary, stage = import_history(db, [path])
    rows = list(stage.rows())
    stage.close()
    assert [(r[5], Path(r[6]).name, r[7]) for r in rows] == [
        ("matched", "a.flac", ""), ("matched", "b.mp3", "")]  # fmt: skip


def test_two_tools_exports_of_one_history_add_each_listen_once(
    db: Database, tmp_path: Path
) -> None:
    """Unix seconds in one Last.fm export, minutes in another; Spotify's account data (end to the
    minute) and its extended history (end to the second)."""
    add_tracks(db, ("A", "One", 200_000))
    seconds = lastfm(tmp_path, [(T0 + 44, "A", "One")], "ghan.csv")  # 12:27:24
    minutes = tmp_path / "lastfm-to-csv.csv"
    minutes.write_text("A,,One,13 Sep 2020 12:27\n")
    account = tmp_path / "StreamingHistory0.json"
    account.write_text(json.dumps([{"endTime": "2021-03-01 10:00", "artistName": "A",
                                    "trackName": "One", "msPlayed": 200_000}]))  # fmt: skip
    extended = tmp_path / "endsong_0.json"
    extended.write_text(json.dumps([{"ts": "2021-03-01T10:00:31Z", "ms_played": 200_000,
        "master_metadata_track_name": "One", "master_metadata_album_artist_name": "A",
        "reason_end": "trackdone"}]))  # fmt: skip
    fragment = tmp_path / "StreamingHistory1.json"  # Spotify logs a fragment, then the play
    fragment.write_text(json.dumps([{"endTime": "2021-03-02 10:00", "artistName": "A",
                                     "trackName": "One", "msPlayed": ms}
                                    for ms in (491, 200_000)]))  # fmt: skip
    summary, stage = import_history(db, [seconds, minutes, account, extended, fragment])
    stage.close()
    assert (summary.plays_added, summary.duplicate) == (4, 2)


def test_an_import_waits_for_a_running_scan(db: Database, tmp_path: Path) -> None:
    """It then matches against every file the scan found (one lock for scans and imports)."""
    export = lastfm(tmp_path, [(T0, "A", "One")])
    done: list[int] = []
    with exclusive_lock(scan_lock_path(db.path), waiting="test"):  # a scan is running
        worker = threading.Thread(
            target=lambda: done.append(import_history(db, [export])[0].matched)
        )
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and done == []  # still waiting
        add_tracks(db, ("A", "One", 200_000))  # what the scan adds before it ends
    worker.join(DEADLINE_S)
    assert done == [1]
    with (
        exclusive_lock(scan_lock_path(db.path), waiting="test"),
        pytest.raises(ImportCancelled),  # Cancel while waiting
    ):
        import_history(db, [export], should_stop=lambda: True)
