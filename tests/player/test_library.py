"""Library rows for the view and plugins: plain records with finished-play counts."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from player.db.engine import Database
from player.db.models import Track
from player.history import History
from player.library import get_track, load_track_rows, mark_unavailable, track_infos
from player.plugin_api import Origin, Outcome
from player.scanner import scan
from tests.audio import make_library


def test_rows_infos_counts_and_unavailable(db: Database, tmp_path: Path) -> None:
    make_library(tmp_path / "m", n_albums=1, tracks_per_album=3)
    scan(db, [tmp_path / "m"])
    rows = load_track_rows(db)
    assert [r.title for r in rows] == ["Song 1.1", "Song 1.2", "Song 1.3"]
    with db.session() as session:  # each field from its own column (the rows are built by position)
        stored = session.get(Track, rows[1].id)
        for field in fields(rows[1]):
            if hasattr(stored, field.name):
                assert getattr(rows[1], field.name) == getattr(stored, field.name), field.name
    assert (rows[1].track_number, rows[1].album_artist, rows[1].year) == (2, "Artist 1", 2000)
    first = rows[0]
    history = History(db)
    for outcome in (Outcome.FINISHED, Outcome.FINISHED, Outcome.SKIPPED, Outcome.FAILED):
        play = history.play_started(first.id, Origin.USER)
        history.play_ended(play, outcome, position_ms=0, played_ms=0)
    row = get_track(db, first.id)
    assert row is not None and row.play_count == 2 and row.codec == "mp3"
    assert get_track(db, 10_000) is None
    mark_unavailable(db, first.id)
    infos = track_infos(db)
    assert [i.track_id for i in infos] == [r.id for r in rows]
    assert infos[0].available is False and infos[1].available is True
    assert infos[0].artist == "Artist 1" and infos[0].duration_ms == first.duration_ms
