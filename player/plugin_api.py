"""The contract between the player and its plugins: typed records and the ``Plugin`` base class.

Stdlib only. The player decides *what happened* (a track started, ended as finished / skipped /
failed, a listening session closed, the library changed); a plugin decides *what next* through
:meth:`Plugin.suggest`. Records are plain frozen dataclasses: no ORM objects, no Qt, no torch,
so a plugin can be written from this file alone and live in a package that never imports the
player's heavy parts.

Threads: the host gives each plugin two threads. Learning (:meth:`Plugin.on_session_closed` and
:meth:`Plugin.train`) runs on the plugin's *training* thread; every other method runs on its
*event* thread, one call at a time, in the order the events happened. So a pick never waits for
training: a plugin swaps in what it learned when it is ready (it must guard what both threads
touch). Every call is guarded: an exception is logged and marks the plugin degraded.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Radio's adventurousness when the user never moved the slider (0 familiar .. 1 adventurous).
DEFAULT_ADVENTUROUSNESS = 0.5


def sampling_options(adventurousness: float) -> dict[str, float]:
    """Radio's sampling options (``temperature``, ``top_p``) for an adventurousness in [0, 1].

    0 is familiar (temperature 0.6, only the top 80 % of the mass), 1 is adventurous
    (temperature 1.8). The nucleus cut-off only narrows the lower half of the range (from the
    middle up, top_p is 1: off, which also spares a sort over the whole library per pick).
    """
    x = min(1.0, max(0.0, adventurousness))
    return {"temperature": 0.6 + 1.2 * x, "top_p": min(1.0, 0.8 + 0.4 * x)}


class Outcome(enum.StrEnum):
    """How a play ended. ``failed`` (unplayable or missing file) is never a skip."""

    FINISHED = "finished"
    SKIPPED = "skipped"
    FAILED = "failed"


class FeedbackKind(enum.StrEnum):
    """What the listener said about a track: ``love`` it, or ``never`` play it on radio."""

    LOVE = "love"
    NEVER = "never"


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
    """A track began to play (the hidden state should advance with it).

    ``resumed``: it continues the play a quit interrupted (the last run already announced it).
    """

    track_id: int
    origin: Origin
    timestamp: float
    resumed: bool = False


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
class Feedback:
    """The listener loved a track or said never to play it (``on``), or took that back."""

    track_id: int
    kind: FeedbackKind
    on: bool = True
    timestamp: float = 0.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One next-track choice and the probability it was drawn with.

    ``reason`` says why, in plain words (the queue shows it, MPRIS carries it as ``segue:why``);
    ``source`` says what leads radio now: ``cold start`` (no model yet), ``prior`` (a young
    model: the library's structure has the larger share) or ``model``.
    """

    track_id: int
    probability: float
    reason: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Progress of a long training job."""

    done: int
    total: int
    message: str = ""


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What a training job did, for the user: ``message`` is a plain line (what was learned, or
    why nothing was); ``sessions`` counts the sessions learned from."""

    trained: bool
    message: str
    sessions: int = 0


ProgressCallback = Callable[[TrainProgress], None]
StopCheck = Callable[[], bool]

#: Radio never repeats a track heard in the last RECENT_WINDOW plays (see :func:`recent_window`).
RECENT_WINDOW = 50


def recent_window(available: int) -> int:
    """How many recent plays radio keeps out of its picks, for ``available`` playable tracks.

    At most a quarter of the library, so a small library still has something left to choose.
    """
    return min(RECENT_WINDOW, max(0, available) // 4)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class PluginContext:
    """What the host hands a plugin when it loads.

    Attributes:
        data_dir: Folder the plugin may write its files in (model weights, radio state).
        load_library: Returns the current library.
        load_sessions: Returns every closed session, oldest first.
        settings: Plain settings the user chose (e.g. ``{"temperature": 1.0, "top_p": 0.95}``).
        should_stop: True once training should stop early (the user cancelled, or the player
            quits); long work on the training thread polls it.
        load_feedback: Returns what stands of the listener's feedback: one :class:`Feedback`
            (``on``) per loved or never-played track.
    """

    data_dir: Path
    load_library: Callable[[], Sequence[TrackInfo]]
    load_sessions: Callable[[], Sequence[SessionRecord]]
    settings: dict[str, float] = field(default_factory=dict)
    should_stop: StopCheck = _never
    load_feedback: Callable[[], Sequence[Feedback]] = tuple


#: The methods the host runs on a plugin's training thread (all others: its event thread).
TRAINING_METHODS = frozenset({"on_session_closed", "train"})


class Plugin:
    """Base class: every method has a harmless default, so a plugin overrides what it needs.

    Attributes:
        name: Shown in messages and used as the plugin's key.
        suggests: True for a plugin that answers :meth:`suggest` (radio asks the first one).
    """

    name = "plugin"
    suggests = False

    def load(self, context: PluginContext) -> None:
        """Prepare (load weights, read state). Called once, first, on the event thread."""

    def on_track_started(self, event: TrackStarted) -> None:
        """A track started playing."""

    def on_track_ended(self, event: TrackEnded) -> None:
        """A track ended (finished, skipped or failed)."""

    def on_library_changed(self, event: LibraryChanged) -> None:
        """The library changed (after a scan)."""

    def on_feedback(self, event: Feedback) -> None:
        """The listener loved a track or said never to play it (or took it back)."""

    def set_option(self, name: str, value: float) -> None:
        """The user changed a setting: ``temperature``, ``top_p``, ``seed_track`` (the track
        radio starts from, as if just heard), ``artist_spacing`` / ``album_spacing`` (plays
        before the same artist / album may come again; -1: learned from the listener)."""

    def start_from(self, track_ids: Sequence[int]) -> None:
        """Radio starts from these tracks (a track, an album, an artist, a playlist): as if they
        were just heard, in order; the last one is the track that plays first."""

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        """Up to ``n`` next tracks, none of them in ``exclude``, as one list per slot.

        Each slot is its pick, then up to ``spares`` alternatives for the same slot (radio takes
        the first whose file exists). ``after`` are tracks already queued: the first slot follows
        them, and each later slot is drawn as if the earlier picks were heard to the end.
        """
        return []

    def on_session_closed(self, event: SessionClosed) -> None:
        """A listening session closed; learn from it (training thread)."""

    def train(
        self,
        sessions: Sequence[SessionRecord],
        *,
        full: bool,
        progress: ProgressCallback | None = None,
    ) -> TrainResult | None:
        """Learn from ``sessions`` (training thread): every closed session, oldest first.

        ``full``: start from scratch; otherwise learn only what is new. Also called once after
        :meth:`load`, with ``full=False``, to catch up on sessions closed while away. Progress
        messages are plain words for the user ("Learning from 1,204 listening sessions").

        Returns:
            What was done, told to the user (None: trained, nothing to add).
        """
        return None

    def save_state(self) -> None:
        """Persist whatever must survive a restart (called on quit)."""

    def close(self) -> None:
        """Release resources."""
