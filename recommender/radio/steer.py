"""How the listener steers radio: love and never-play, variety settings, and what a pick is told.

The plugin owns one :class:`Steering`; it is read by picks (event thread) and refreshed from
the history by learning (training thread), under the plugin's lock. No torch here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from player.plugin_api import Feedback, FeedbackKind, SessionRecord, Suggestion
from recommender.radio.mixture import Mixture
from recommender.radio.prior import ColdStartPrior
from recommender.radio.variety import KINDS, MAX_SPACING, Spacing, learned_spacing, variety_rows
from recommender.radio.why import ListeningIndex, explain

if TYPE_CHECKING:
    from recommender.radio.engine import RadioModel
    from recommender.radio.state import RadioState

#: Strength of a fresh love's pull on the next query (a skip pushes with up to 1; both fade).
LOVE_PULL = 1.0
#: Plays during which a love still raises its artist and album in the library prior.
LOVE_TTL = 3
#: The options that set a spacing (-1: learned from the listener).
SPACING_OPTIONS = {"artist_spacing": "artist", "album_spacing": "album"}


@dataclass(frozen=True)
class Picking:
    """What every slot of one ``suggest`` draws with: the mixture, the live model (or None),
    the prior's share, recent skips and the time (for reasons)."""

    mix: Mixture
    rec: RadioModel | None
    share: float
    skips: Sequence[int]
    now: float


class Steering:
    """Loved and never-played tracks, the variety spacing, and the listener's history index.

    Attributes:
        loved: Tracks the listener loves.
        never: Tracks radio must never pick.
        learned: The spacing learned from the listener's own choices.
        index: Transitions, plays and artists' last plays, for the reasons of picks.
    """

    def __init__(self) -> None:
        self.loved: frozenset[int] = frozenset()
        self.never: frozenset[int] = frozenset()
        self.learned = Spacing()
        self.index = ListeningIndex()
        self._chosen = {kind: -1 for kind in KINDS}
        self._recent_loves: list[list[int]] = []  # [track_id, plays left], newest first

    def load(self, feedback: Sequence[Feedback]) -> None:
        """Start from what stands (one record per loved or never-played track)."""
        for event in feedback:
            self.apply(event)

    def apply(self, event: Feedback) -> bool:
        """Record a love / never-play (or its undoing); True for a new love (a nudge is due)."""
        kind = self.loved if event.kind is FeedbackKind.LOVE else self.never
        changed = kind | {event.track_id} if event.on else kind - {event.track_id}
        if event.kind is FeedbackKind.LOVE:
            self.loved = changed
            if event.on:
                self._recent_loves = [[event.track_id, LOVE_TTL], *self._recent_loves][:3]
                return True
        else:
            self.never = changed
        return False

    def set_option(self, name: str, value: float) -> bool:
        """Apply ``artist_spacing`` / ``album_spacing`` (-1: learned); False for other names."""
        kind = SPACING_OPTIONS.get(name)
        if kind is None:
            return False
        self._chosen[kind] = -1 if value < 0 else min(MAX_SPACING, int(value))
        return True

    def spacing(self) -> Spacing:
        """The spacing in force: the listener's setting, else the learned one."""
        artist, album = (
            self._chosen[k] if self._chosen[k] >= 0 else self.learned.of(k) for k in KINDS
        )
        return Spacing(artist, album)

    def heard(self) -> None:
        """A track played: recent loves age by one play."""
        self._recent_loves = [[t, n - 1] for t, n in self._recent_loves if n > 1]

    def loves(self) -> list[int]:
        """Tracks loved within the last few plays, newest first."""
        return [t for t, _ in self._recent_loves]

    def learn(self, prior: ColdStartPrior, sessions: Sequence[SessionRecord]) -> None:
        """Rebuild the history index and the learned spacing from every closed session."""
        index = ListeningIndex()
        index.add(sessions, prior.info)
        self.index, self.learned = index, learned_spacing(prior, sessions)

    def variety(
        self, prior: ColdStartPrior, recent: Sequence[int], relax: int = 0
    ) -> np.ndarray | None:
        """Prior rows the spacing keeps out after ``recent``; ``relax`` 1 halves the spacing,
        2 drops it: for when the mask would leave nothing to play. None when nothing is kept
        out."""
        spacing = self.spacing()
        if relax:
            spacing = Spacing(spacing.artist // (2 * relax), spacing.album // (2 * relax))
        rows = variety_rows(prior, recent, spacing) if relax < 2 else None
        return rows if rows is not None and len(rows) else None

    def slots(
        self,
        draw: Picking,
        state: RadioState | None,
        last: int | None,
        heard: list[int],
        blocked: set[int],
        n: int,
        count: int,
        advance: Callable[[RadioState | None, int], RadioState | None],
    ) -> list[list[Suggestion]]:
        """``n`` slots of ``count`` candidates each, with their reasons; each slot is drawn as
        if the earlier slots' picks were heard (``advance`` steps the state)."""
        out: list[list[Suggestion]] = []
        for i in range(n):
            group = self._pick(draw, state, last, blocked, count, heard)
            if not group:
                break
            out.append([self._explained(draw, s, heard) for s in group])
            blocked.add(group[0].track_id)
            heard.append(group[0].track_id)
            if i + 1 < n:
                state, last = advance(state, group[0].track_id), group[0].track_id
        return out

    def _pick(
        self,
        draw: Picking,
        state: RadioState | None,
        last: int | None,
        blocked: set[int],
        count: int,
        heard: Sequence[int],
    ) -> list[Suggestion]:
        """The mixture's draw under the variety mask, relaxed step by step when the mask
        leaves nothing (radio never stops)."""
        group: list[Suggestion] = []
        loves = self.loves()
        for relax in range(3):
            variety = self.variety(draw.mix.prior, heard, relax)
            group = draw.mix.pick(
                draw.rec, state, last, blocked, draw.share, draw.skips, count,
                variety=variety, loves=loves,
            )  # fmt: skip
            if group or variety is None:
                break
        return group

    def _explained(self, draw: Picking, pick: Suggestion, heard: Sequence[int]) -> Suggestion:
        rec = draw.rec

        def nearest(track_id: int, candidates: Sequence[int]) -> int | None:
            from recommender.radio.scores import nearest

            return nearest(rec, track_id, candidates) if rec is not None else None

        reason = explain(
            pick.track_id,
            from_model=pick.reason in ("model", "history"),  # both learned from the history
            heard=heard,
            prior=draw.mix.prior,
            index=self.index,
            loved=self.loved,
            nearest=nearest,
            now=draw.now,
        )
        return Suggestion(pick.track_id, pick.probability, reason, pick.source)
