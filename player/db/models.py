"""Typed SQLAlchemy 2.0 models: tracks, sessions, plays and their events, feedback, playlists.

History is append-only: plays and play events are only ever inserted. A track whose file
vanished keeps its row (``available`` is cleared) so every play keeps pointing at it.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Boolean, Dialect, Float, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints, so later batch migrations (SQLite table copies) can find them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class PathString(TypeDecorator[str]):
    """A file path as ``str``; names that are not valid UTF-8 are stored as their raw bytes.

    Python gives such names as ``str`` with lone surrogates (``os.fsdecode``), which SQLite cannot
    store as text. They are written as a BLOB of ``os.fsencode(path)`` and read back through
    ``os.fsdecode``, so the path round-trips exactly and still opens the file.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Store valid UTF-8 as text, anything else as the raw file-system bytes."""
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return os.fsencode(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Turn raw bytes back into the ``str`` Python uses for that file name."""
        if isinstance(value, bytes):
            return os.fsdecode(value)
        return value


class Base(DeclarativeBase):
    """Declarative base of every Segue table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Track(Base):
    """One audio file of the library (kept when the file disappears)."""

    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(PathString, unique=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    mtime: Mapped[float] = mapped_column(Float, default=0.0)
    title: Mapped[str] = mapped_column(String, default="")
    artist: Mapped[str] = mapped_column(String, default="")
    album_artist: Mapped[str] = mapped_column(String, default="")
    album: Mapped[str] = mapped_column(String, default="")
    track_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    disc_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    genre: Mapped[str] = mapped_column(String, default="")
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    codec: Mapped[str] = mapped_column(String, default="")
    has_embedded_cover: Mapped[bool] = mapped_column(Boolean, default=False)
    cover_path: Mapped[str | None] = mapped_column(PathString, nullable=True)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[float] = mapped_column(Float, default=0.0)
    mbid: Mapped[str] = mapped_column(String, default="", server_default="")  # MusicBrainz
    # ReplayGain from the tags: gains in dB, peaks linear (None when absent or nonsense).
    track_gain: Mapped[float | None] = mapped_column(Float, nullable=True)
    track_peak: Mapped[float | None] = mapped_column(Float, nullable=True)
    album_gain: Mapped[float | None] = mapped_column(Float, nullable=True)
    album_peak: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_tracks_match", "title", "artist", "duration_ms"),)


class ListeningSession(Base):
    """A run of listening; a new one starts after a gap or when the app starts."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[float] = mapped_column(Float)
    last_activity_at: Mapped[float] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    # "local", or "import" for a session built from an imported history.
    source: Mapped[str] = mapped_column(String, default="local", server_default="local")

    plays: Mapped[list[Play]] = relationship(back_populates="session", order_by="Play.id")

    __table_args__ = (Index("ix_sessions_source_started_at", "source", "started_at"),)


class Play(Base):
    """One play of one track; its outcome is given by its events."""

    __tablename__ = "plays"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    origin: Mapped[str] = mapped_column(String)  # user | queue | radio
    started_at: Mapped[float] = mapped_column(Float, index=True)
    # "local" (played in Segue) or the service an imported play came from (lastfm, spotify...).
    # Indexed: the newest local play is looked up at each track start, past imported ones.
    source: Mapped[str] = mapped_column(String, default="local", server_default="local", index=True)

    session: Mapped[ListeningSession] = relationship(back_populates="plays")
    events: Mapped[list[PlayEvent]] = relationship(order_by="PlayEvent.id")


class PlayEvent(Base):
    """Something that happened during a play: started, position, finished, skipped, failed.

    ``played_ms`` is the raw time actually heard (seeks excluded), kept so the skip threshold can
    be redefined later; ``position_ms`` is where playback stood.
    """

    __tablename__ = "play_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    play_id: Mapped[int] = mapped_column(ForeignKey("plays.id"), index=True)
    kind: Mapped[str] = mapped_column(String)
    at: Mapped[float] = mapped_column(Float)
    position_ms: Mapped[int] = mapped_column(Integer, default=0)
    played_ms: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String, default="")


class HistoryImport(Base):
    """One run of ``segue import`` (or the window's import): when, and what it added."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    files: Mapped[str] = mapped_column(String, default="")
    entries: Mapped[int] = mapped_column(Integer, default=0)
    plays_added: Mapped[int] = mapped_column(Integer, default=0)


class ImportedEntry(Base):
    """An entry of an imported export, kept whether it matched a file or not.

    ``key`` (source, time, normalised artist and title) makes a second import of the same export
    add nothing. An unmatched entry (``track_id`` NULL) is matched again after each scan, and
    becomes a play when its file turns up.
    """

    __tablename__ = "imported_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String, unique=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    source: Mapped[str] = mapped_column(String)
    file: Mapped[str] = mapped_column(String, default="")
    entry: Mapped[int] = mapped_column(Integer, default=0)
    played_at: Mapped[float] = mapped_column(Float)
    artist: Mapped[str] = mapped_column(String, default="")
    title: Mapped[str] = mapped_column(String, default="")
    album: Mapped[str] = mapped_column(String, default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    played_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    mbid: Mapped[str] = mapped_column(String, default="")
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id"), nullable=True, index=True)
    play_id: Mapped[int | None] = mapped_column(ForeignKey("plays.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String, default="")


class FeedbackEvent(Base):
    """The listener loved a track or said never to play it (``on``), or took that back.

    Append-only like play events: what stands for a track and kind is its newest event.
    """

    __tablename__ = "feedback_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    kind: Mapped[str] = mapped_column(String)  # love | never
    on: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[float] = mapped_column(Float)


class Playlist(Base):
    """A named, ordered list of entries the user keeps."""

    __tablename__ = "playlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class PlaylistEntry(Base):
    """One entry of a playlist, in ``position`` order.

    ``track_id`` is empty while no library track matches the entry; the entry's own path, title,
    artist, album and duration keep it showable and let a later scan attach it. The track row
    follows its file when the scanner sees it move, so an attached entry follows it too.
    """

    __tablename__ = "playlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id"), nullable=True, index=True)
    path: Mapped[str] = mapped_column(PathString, default="")
    title: Mapped[str] = mapped_column(String, default="")
    artist: Mapped[str] = mapped_column(String, default="")
    album: Mapped[str] = mapped_column(String, default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_playlist_entries_order", "playlist_id", "position"),)
