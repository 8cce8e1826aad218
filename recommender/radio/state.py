"""Radio's carried state: the hidden vector after each play, skip feedback, restore and replay.

A play steps the state through the model's own cell (:meth:`RadioModel.step`, numpy): the
computation training and evaluation make, one position long. A skip does not step it; it is
remembered and pushes the next query away from the skipped track (:mod:`recommender.radio.scores`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from recommender.radio.engine import RadioModel

log = logging.getLogger(__name__)

#: Played tracks the repeat head can look back at.
HISTORY_LENGTH = 30
#: Skips remembered; each later play multiplies a skip's strength by SKIP_DECAY.
SKIP_MEMORY = 5
SKIP_DECAY = 0.5
#: Skips weaker than this are forgotten.
SKIP_FLOOR = 0.05
#: Recent plays a fresh state is fed after a retrain.
REPLAY_LENGTH = 20
#: Advances remembered (a refill looks ahead by the queued tracks, two at most).
MEMO_SIZE = 4


@dataclass
class RadioState:
    """What radio carries between picks; JSON-serialisable through :meth:`to_dict`.

    Treat a state as immutable: :func:`advance` returns a new one.

    Attributes:
        hidden: The flat recurrent state (LSTM: h then c).
        last_track: The last track that advanced the state (``None`` at the start).
        history: Recently played (not skipped) track ids, oldest first, for the repeat head.
        skips: ``[track_id, strength]`` of recent skips (strength > 0: pushed away from) and
            loves (strength < 0: pulled toward), newest first.
    """

    hidden: list[float]
    last_track: int | None = None
    history: list[int] = field(default_factory=list)
    skips: list[list[float]] = field(default_factory=list)
    _array: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def hidden_array(self) -> np.ndarray:
        """The hidden vector as a float32 array (cached; do not modify it)."""
        if self._array is None:
            self._array = np.asarray(self.hidden, dtype=np.float32)
        return self._array

    def with_skips(self, skips: list[list[float]]) -> RadioState:
        """The same state with other skips."""
        new = RadioState(self.hidden, self.last_track, self.history, skips)
        new._array = self._array
        return new

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict."""
        return {
            "hidden": list(self.hidden),
            "last_track": self.last_track,
            "history": list(self.history),
            "skips": [list(s) for s in self.skips],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RadioState:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on a malformed dict."""
        try:
            hidden = [float(x) for x in data["hidden"]]
            last = data.get("last_track")
            history = [int(x) for x in data.get("history", [])]
            skips = [[int(t), float(s)] for t, s in data.get("skips", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed radio state: {exc}") from exc
        if not all(math.isfinite(x) for x in hidden):
            raise ValueError("malformed radio state: hidden vector is not finite")
        return cls(hidden, None if last is None else int(last), history, skips)


def initial_state(rec: RadioModel) -> RadioState:
    """A fresh state for ``rec``: zero hidden vector, nothing heard."""
    return RadioState(hidden=[0.0] * rec.state_size)


def advance(
    rec: RadioModel,
    state: RadioState,
    track_id: int,
    *,
    skipped: bool = False,
    played_fraction: float = 1.0,
) -> RadioState:
    """The state after one play.

    A play that was not skipped steps the cell with the track (h_t = F(W x_t + U h_(t-1))).
    A skip does NOT step the cell (the unwanted track must not steer what comes next); it is
    remembered with strength ``1 - played_fraction`` (at least 0.2) and pushes the next query
    away from the track. Skip strengths halve with every later play. Unknown ids leave the
    state unchanged.
    """
    row = rec.vocab.index(track_id)
    if row is None:
        return state.with_skips(state.skips)
    if skipped:
        strength = max(0.2, min(1.0, 1.0 - played_fraction))
        return state.with_skips([[float(track_id), strength], *state.skips][:SKIP_MEMORY])
    hidden = rec.step(state.hidden_array(), row)
    skips = [[t, s * SKIP_DECAY] for t, s in state.skips if abs(s * SKIP_DECAY) >= SKIP_FLOOR]
    history = [*state.history, track_id][-HISTORY_LENGTH:]
    new = RadioState(hidden.tolist(), track_id, history, skips)
    new._array = hidden
    return new


def loved(rec: RadioModel, state: RadioState, track_id: int, pull: float) -> RadioState:
    """The state with a love of ``track_id`` remembered: it pulls the next queries toward the
    track (as a skip pushes away), fading with the plays that follow. Unknown ids: unchanged."""
    if rec.vocab.index(track_id) is None:
        return state
    return state.with_skips([[float(track_id), -pull], *state.skips][:SKIP_MEMORY])


def replayed_state(rec: RadioModel, recent: Sequence[int]) -> RadioState:
    """A fresh state for ``rec``, fed the most recent plays (after a retrain)."""
    state = initial_state(rec)
    for track_id in recent[-REPLAY_LENGTH:]:
        state = advance(rec, state, track_id)
    return state


def restored_state(
    rec: RadioModel, saved: dict[str, Any] | None, recent: Sequence[int]
) -> RadioState:
    """The saved state if it fits ``rec``, else one replayed from ``recent``."""
    if saved is not None:
        try:
            state = RadioState.from_dict(saved)
            if len(state.hidden) == rec.state_size:
                return state
            log.info("saved radio state does not fit the model; rebuilt from recent plays")
        except ValueError as exc:
            log.warning("saved radio state is unusable (%s); rebuilt from recent plays", exc)
    return replayed_state(rec, recent)


class AdvanceMemo:
    """:func:`advance` remembered for the last few (model, state, track).

    A refill draws the next pick as if the queued track had been heard; when that track then
    starts, the plugin's real step is the same advance, found here instead of recomputed.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[RadioModel, RadioState, int, RadioState]] = []

    def advance(self, rec: RadioModel, state: RadioState, track_id: int) -> RadioState:
        """The state after ``track_id`` was heard (computed once per model, state and track)."""
        for model, before, track, after in self._entries:
            if model is rec and before is state and track == track_id:
                return after
        after = advance(rec, state, track_id)
        self._entries = [(rec, state, track_id, after), *self._entries][:MEMO_SIZE]
        return after
