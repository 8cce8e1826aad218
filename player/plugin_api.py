"""Typed event records and the base class every Segue plugin implements (stdlib only).

The player decides *what happened* (a track started, ended as finished / skipped / failed, a
listening session closed, the library changed); a plugin decides *what next* through
:meth:`Plugin.suggest`. Records are plain frozen dataclasses: no ORM objects, no Qt, no torch,
so a plugin can live in a package that never imports the player's heavy parts.

The host calls every method on a worker thread (never the GUI thread), one call at a time per
plugin, inside a guard: an exception is logged and marks the plugin degraded; playback goes on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class Outcome(enum.StrEnum):
    """How a play ended. ``failed`` (unplayable or missing file) is never a skip."""

    FINISHED = "finished"
    SKIPPED = "skipped"
    FAILED = "failed"


class Origin(enum.StrEnum):
    """Who chose the track."""

    USER = "user"
    QUEUE = "queue"
    RADIO = "radio"


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """Library metadata of one track, as a plugin sees it."""

    track_id: int
    path: str
    title: str
    artist: str
    album_artist: str = ""
    album: str = ""
    track_number: int | None = None
    disc_number: int | None = None
    genre: str = ""
    year: int | None = None
    duration_ms: int | None = None
    available: bool = True


@dataclass(frozen=True, slots=True)
class PlayRecord:
    """One play inside a listening session."""

    track_id: int
    outcome: Outcome
    played_ms: int
    origin: Origin
    started_at: float
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A listening session: plays in the order they happened."""

    session_id: int
    started_at: float
    ended_at: float | None
    plays: tuple[PlayRecord, ...]


@dataclass(frozen=True, slots=True)
class TrackStarted:
    """A track began to play (the hidden state should advance with it)."""

    track_id: int
    origin: Origin
    timestamp: float


@dataclass(frozen=True, slots=True)
class TrackEnded:
    """A track stopped playing, with its outcome and the raw milliseconds heard."""

    track_id: int
    outcome: Outcome
    played_ms: int
    duration_ms: int | None
    origin: Origin
    timestamp: float


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """A listening session closed; the plugin may learn from it."""

    session: SessionRecord


@dataclass(frozen=True, slots=True)
class LibraryChanged:
    """The library after a scan: every known track (unavailable ones flagged)."""

    tracks: tuple[TrackInfo, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One next-track choice and the probability it was drawn with."""

    track_id: int
    probability: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Progress of a long training job."""

    done: int
    total: int
    message: str = ""


ProgressCallback = Callable[[TrainProgress], None]
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class PluginContext:
    """What the host hands a plugin when it loads.

    Attributes:
        data_dir: Folder the plugin may write its files in (model weights, radio state).
        load_library: Returns the current library.
        load_sessions: Returns every closed session, oldest first.
        settings: Plain settings the user chose (e.g. ``{"temperature": 1.0, "top_p": 0.95}``).
    """

    data_dir: Path
    load_library: Callable[[], Sequence[TrackInfo]]
    load_sessions: Callable[[], Sequence[SessionRecord]]
    settings: dict[str, float] = field(default_factory=dict)


class Plugin:
    """Base class: every event method is a no-op, so a plugin overrides only what it needs."""

    name = "plugin"

    def load(self, context: PluginContext) -> None:
        """Prepare (load weights, read state). Called once, off the GUI thread."""

    def on_track_started(self, event: TrackStarted) -> None:
        """A track started playing."""

    def on_track_ended(self, event: TrackEnded) -> None:
        """A track ended (finished, skipped or failed)."""

    def on_session_closed(self, event: SessionClosed) -> None:
        """A listening session closed."""

    def on_library_changed(self, event: LibraryChanged) -> None:
        """The library changed (after a scan)."""

    def set_option(self, name: str, value: float) -> None:
        """The user changed a setting such as ``temperature`` or ``top_p``."""

    def suggest(self, n: int, exclude: frozenset[int]) -> list[Suggestion]:
        """Return up to ``n`` next tracks, none of them in ``exclude``.

        The first suggestion is the next track to play; the following ones are drawn as if each
        earlier one had been listened to the end.
        """
        return []

    def train(
        self,
        sessions: Sequence[SessionRecord],
        *,
        full: bool,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> None:
        """Learn from ``sessions`` (all history when ``full``, else new sessions only)."""

    def save_state(self) -> None:
        """Persist whatever must survive a restart (called on quit)."""

    def close(self) -> None:
        """Release resources."""
