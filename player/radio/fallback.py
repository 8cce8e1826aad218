"""The radio's own picker for when the recommender cannot answer: library order, then uniform.

No Qt, no torch: plain Python over :class:`~player.plugin_api.TrackInfo`. It follows the album
the previous track came from (next track number), else stays with the same artist, else draws
uniformly from what is allowed. It is what keeps radio playing with no model, a failing plugin
or a busy one.
"""

from __future__ import annotations

import random
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence

from player.albums import album_successors
from player.plugin_api import TrackInfo
from player.track_positions import TrackPositions


class FallbackPicker:
    """Picks a next track from the library's structure, without any listening history.

    It is also radio's one record of which files cannot play: unavailable in the library, or
    found missing since (:meth:`mark_missing`; history learns it too, but asynchronously).

    Args:
        tracks: The library (unavailable tracks are never picked).
        rng: Random source (seed it in tests).
        missing: Tracks found missing earlier; kept while the library still calls them available.
    """

    def __init__(
        self, tracks: Iterable[TrackInfo], rng: random.Random, missing: Collection[int] = ()
    ) -> None:
        self._rng = rng
        self._tracks = tuple(tracks)  # the library's own tuple: not copied
        self._at = TrackPositions(t.track_id for t in self._tracks)
        self.missing = {t for t in missing if (track := self.get(t)) and track.available}
        # The next track on each one's album, as a position (-1: none). An array, not a dict of
        # ids: 4 bytes a track where a dict took about 50 (bench/NOTES.md).
        self._successor = array("i", [-1]) * len(self._tracks)
        for track_id, next_id in album_successors(self._tracks).items():
            self._successor[self._at[track_id]] = self._at[next_id]
        self._by_artist: dict[str, list[int]] = defaultdict(list)
        for track in self._tracks:
            if track.artist:
                self._by_artist[track.artist.casefold()].append(track.track_id)
        self.available = [t.track_id for t in self._tracks if t.available]

    def __len__(self) -> int:
        return len(self._tracks)

    def get(self, track_id: int) -> TrackInfo | None:
        """The library row of ``track_id``, if known."""
        position = self._at.get(track_id)
        return None if position is None else self._tracks[position]

    def mark_missing(self, track_id: int) -> None:
        """``track_id``'s file could not be played: never pick it again."""
        self.missing.add(track_id)

    def pick(self, previous: int | None, blocked: Collection[int]) -> tuple[int, str] | None:
        """Choose one allowed track (not in ``blocked``, available) after ``previous``.

        Returns:
            ``(track_id, reason)`` or None when nothing is allowed.
        """
        at = self._at.get(previous) if previous is not None else None
        if at is not None:
            prev = self._tracks[at]
            after = self._successor[at]
            if after >= 0 and self._allowed(nxt := self._tracks[after].track_id, blocked):
                return nxt, "album order"
            same = [t for t in self._by_artist.get(prev.artist.casefold(), ()) if t != previous]
            choice = self._uniform(same, blocked)
            if choice is not None:
                return choice, "same artist"
        choice = self._uniform(self.available, blocked)
        return (choice, "shuffle") if choice is not None else None

    def _allowed(self, track_id: int, blocked: Collection[int]) -> bool:
        track = self.get(track_id)
        return (
            track is not None
            and track.available
            and track_id not in blocked
            and track_id not in self.missing
        )

    def _uniform(self, candidates: Sequence[int], blocked: Collection[int]) -> int | None:
        if not candidates:
            return None
        # Rejection sampling first: cheap on a big library where few tracks are blocked.
        for _ in range(16):
            candidate = candidates[self._rng.randrange(len(candidates))]
            if self._allowed(candidate, blocked):
                return candidate
        allowed = [t for t in candidates if self._allowed(t, blocked)]
        return self._rng.choice(allowed) if allowed else None
