"""Reading the library for views and plugins: plain track rows, no ORM objects leave here."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update

from player import plugin_api
from player.db.engine import Database
from player.db.models import Play, PlayEvent, Track
from player.plugin_api import Outcome
from player.replaygain import ReplayGain

_PATHS_PER_QUERY = 500  # SQLite limits the parameters of one statement


@dataclass(frozen=True, slots=True)
class TrackRow(plugin_api.TrackInfo):
    """One track as the library view shows it (``play_count`` counts finished plays).

    It is the plugin API's :class:`~player.plugin_api.TrackInfo` with what only the window
    shows added, so the table, radio and the plugins hold one record per track, not one each.
    Slotted: a library holds 100,000 of them (bench/ui.py, memory by part)."""

    codec: str = ""
    play_count: int = 0
    has_embedded_cover: bool = False
    cover_path: str | None = None
    replaygain: ReplayGain | None = None

    @property
    def id(self) -> int:
        """The track's id (``track_id``: the window's code has always called it ``id``)."""
        return self.track_id


def _finished_counts() -> Select[int, int]:
    return (
        select(Play.track_id, func.count(PlayEvent.id).label("n"))
        .join(PlayEvent, PlayEvent.play_id == Play.id)
        .where(PlayEvent.kind == Outcome.FINISHED.value)
        .group_by(Play.track_id)
    )


def _rows_query() -> Select[*tuple[Any, ...]]:
    """Plain columns in ``TrackRow`` order (ORM objects cost several times more per row)."""
    counts = _finished_counts().subquery()
    columns = (
        Track.id, Track.path, Track.title, Track.artist, Track.album_artist, Track.album,
        Track.track_number, Track.disc_number, Track.genre, Track.year, Track.duration_ms,
        Track.codec, Track.available, func.coalesce(counts.c.n, 0), Track.has_embedded_cover,
        Track.cover_path, Track.track_gain, Track.track_peak, Track.album_gain, Track.album_peak,
    )  # fmt: skip
    return select(*columns).outerjoin(counts, counts.c.track_id == Track.id).order_by(Track.id)


Shared = Callable[[Any, Any], Any]


_NO_GAINS = [None, None, None, None]


def _to_row(row: Any, shared: Shared | None = None) -> TrackRow:
    (track_id, path, title, artist, album_artist, album, track_number, disc_number, genre, year,
     duration_ms, codec, available, play_count, has_cover, cover_path, *gains) = row  # fmt: skip
    if shared is not None:  # one object for each value many tracks repeat
        artist, album, genre = shared(artist, artist), shared(album, album), shared(genre, genre)
        album_artist, codec = shared(album_artist, album_artist), shared(codec, codec)
        year, cover_path = shared(year, year), shared(cover_path, cover_path)
    # Positional, in TrackRow's field order (TrackInfo's, then its own): a library load makes
    # 100,000s of these, and keywords cost a third more per row.
    return TrackRow(
        track_id, path, title, artist, album_artist, album, track_number, disc_number, genre,
        year, duration_ms, bool(available), codec, int(play_count), bool(has_cover), cover_path,
        None if gains == _NO_GAINS else ReplayGain(*gains),
    )  # fmt: skip


def _track_rows(db: Database) -> Iterator[TrackRow]:
    # The database hands out a new string for every artist, album and genre of every row:
    # sharing one object per value saves about a third of the rows' memory. The query runs on
    # the session's connection (Core rows): through the ORM the same rows took twice as long.
    shared: Shared = {}.setdefault
    with db.session() as session:
        connection = session.connection().execution_options(yield_per=2000)
        for row in connection.execute(_rows_query()):
            yield _to_row(row, shared)


def load_track_rows(db: Database) -> list[TrackRow]:
    """Return every track (unavailable ones included), ordered by id, with finished-play counts."""
    return list(_track_rows(db))


def load_track_rows_at(db: Database, paths: Sequence[str]) -> list[TrackRow]:
    """Return the tracks at ``paths`` (those the library has), ordered by id."""
    rows: list[TrackRow] = []
    with db.session() as session:
        for start in range(0, len(paths), _PATHS_PER_QUERY):
            chunk = list(paths[start : start + _PATHS_PER_QUERY])
            rows += [
                _to_row(r) for r in session.execute(_rows_query().where(Track.path.in_(chunk)))
            ]
    return sorted(rows, key=lambda r: r.id)


def get_track(db: Database, track_id: int) -> TrackRow | None:
    """Return one track, or ``None`` if no track has that id."""
    with db.session() as session:
        found = session.execute(_rows_query().where(Track.id == track_id)).first()
        return _to_row(found) if found else None


def track_infos(db: Database) -> list[plugin_api.TrackInfo]:
    """Return every track as the plugin API's ``TrackInfo`` records (library rows), by id."""
    return list(_track_rows(db))


def mark_unavailable(db: Database, track_id: int) -> None:
    """Flag a track whose file playback could not find; the next scan restores it if it returns."""
    with db.session() as session, session.begin():
        session.execute(update(Track).where(Track.id == track_id).values(available=False))
