"""Radio's variety: how soon the same artist or album may come again, learned from the listener.

A spacing of ``n`` keeps out of the draw every track whose artist (album) is among the last
``n`` tracks heard or queued: a mask on the draw, relaxed when it would leave nothing (radio
never stops). The default spacing is learned from the listener's own choices: the longest
spacing that would have blocked at most :data:`TOLERANCE` of the tracks they picked themselves.
Someone who plays albums through gets 0 for albums (album runs stay); someone who shuffles gets
a long one. numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from player.plugin_api import Origin, Outcome, SessionRecord
from recommender.radio.prior import ColdStartPrior

KINDS = ("artist", "album")
#: The longest spacing learned or set.
MAX_SPACING = 10
#: Share of the listener's own next tracks a learned spacing may block.
TOLERANCE = 0.1
#: Own choices needed before a spacing is learned (fewer: no spacing).
MIN_CHOICES = 30


@dataclass(frozen=True)
class Spacing:
    """Plays before the same artist / album may come again (0: any time)."""

    artist: int = 0
    album: int = 0

    def of(self, kind: str) -> int:
        """The spacing of ``kind`` (``artist`` or ``album``)."""
        return self.artist if kind == "artist" else self.album


def learned_spacing(prior: ColdStartPrior, sessions: Sequence[SessionRecord]) -> Spacing:
    """The spacing the listener's own choices (not radio's, not failed) keep, per kind."""
    own = (Origin.USER, Origin.QUEUE)
    sequences = [
        [p.track_id for p in s.plays if p.origin in own and p.outcome is not Outcome.FAILED]
        for s in sessions
    ]
    return Spacing(*(_cap(prior, kind, _learn(prior, kind, sequences)) for kind in KINDS))


def _cap(prior: ColdStartPrior, kind: str, spacing: int) -> int:
    # a spacing over half the library's artists (albums) would leave radio little to choose
    return min(spacing, prior.distinct(kind) // 2)


def _learn(prior: ColdStartPrior, kind: str, sequences: Sequence[Sequence[int]]) -> int:
    # distance back to the last play of the same artist (album) in the session, MAX + 1 if none
    distances: list[int] = []
    for items in sequences:
        last: dict[int, int] = {}
        for i, track in enumerate(items):
            code = prior.code(kind, track)
            if code < 0:
                continue
            if i:  # a session's first track is not a choice made after anything
                distances.append(i - last[code] if code in last else MAX_SPACING + 1)
            last[code] = i
    if len(distances) < MIN_CHOICES:
        return 0
    d = np.minimum(np.asarray(distances), MAX_SPACING + 1)
    blocked = np.cumsum(np.bincount(d, minlength=MAX_SPACING + 2))[1:] / len(d)  # d <= s
    fits = np.flatnonzero(blocked[:MAX_SPACING] <= TOLERANCE)  # index s - 1 for spacing s
    return int(fits[-1] + 1) if len(fits) and fits[0] == 0 else 0


def variety_rows(
    prior: ColdStartPrior, recent: Sequence[int], spacing: Spacing, kinds: Sequence[str] = KINDS
) -> np.ndarray:
    """Prior rows kept out of the next draw: tracks sharing an artist (album) with the last
    ``spacing`` tracks of ``recent`` (oldest first), for each of ``kinds``."""
    parts = []
    for kind in kinds:
        n = spacing.of(kind)
        if n <= 0 or not recent:
            continue
        codes = {prior.code(kind, t) for t in recent[-n:]} - {-1}
        if codes:
            parts.append(prior.rows_with(kind, codes))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
