"""Radio's carried state in the plugin: restored after a restart, replayed after a retrain, and
a memo so each advance is computed once (a pick's look-ahead is the next track's real step).

torch comes in only with a :class:`~recommender.recommender.Recommender` (imported lazily).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.radio.scores import RadioState
    from recommender.recommender import Recommender

log = logging.getLogger(__name__)

#: Recent plays a fresh state is fed after a retrain.
REPLAY_LENGTH = 20
#: Advances remembered (a refill looks ahead by the queued tracks, two at most).
MEMO_SIZE = 4


def replayed_state(rec: Recommender, recent: Sequence[int]) -> RadioState:
    """A fresh state for ``rec``, fed the most recent plays (after a retrain)."""
    state = rec.initial_state()
    for track_id in recent[-REPLAY_LENGTH:]:
        state = rec.advance(state, track_id)
    return state


def restored_state(
    rec: Recommender, saved: dict[str, Any] | None, recent: Sequence[int]
) -> RadioState:
    """The saved state if it fits ``rec``, else one replayed from ``recent``."""
    from recommender.radio.scores import RadioState  # lazy: pulls torch with it

    if saved is not None:
        try:
            state = RadioState.from_dict(saved)
            if len(state.hidden) == rec.model.state_size:
                return state
            log.info("saved radio state does not fit the model; rebuilt from recent plays")
        except ValueError as exc:
            log.warning("saved radio state is unusable (%s); rebuilt from recent plays", exc)
    return replayed_state(rec, recent)


class AdvanceMemo:
    """``rec.advance(state, track)`` remembered for the last few (model, state, track).

    A refill draws the next pick as if the queued track had been heard; when that track then
    starts, the plugin's real step is the same advance, found here instead of recomputed.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[Recommender, RadioState, int, RadioState]] = []

    def advance(self, rec: Recommender, state: RadioState, track_id: int) -> RadioState:
        """The state after ``track_id`` was heard (computed once per model, state and track)."""
        for model, before, track, after in self._entries:
            if model is rec and before is state and track == track_id:
                return after
        after = rec.advance(state, track_id)
        self._entries = [(rec, state, track_id, after), *self._entries][:MEMO_SIZE]
        return after
