"""Where each track id sits in a list of tracks: an array indexed by id (scattered ids: a dict)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from itertools import repeat

_NONE = -1


class TrackPositions:
    """``track id -> position`` for a library's list of tracks (and what the table shows).

    SQLite numbers tracks 1, 2, 3..., so the positions live in an array indexed by id: 4 bytes
    a track where a dict of ints took about 80 (bench/NOTES.md). Ids far apart from each other
    (more than twice as many ids as tracks) go to a dict instead.
    """

    __slots__ = ("_by_id", "_count", "_sparse")

    def __init__(self, ids: Iterable[int] = ()) -> None:
        """Positions 0, 1, 2... of ``ids``, in order."""
        self._by_id = array("i")
        self._sparse: dict[int, int] | None = None
        self._count = 0
        ids = list(ids)
        top = max(ids, default=-1)
        if ids and min(ids) >= 0 and top <= 2 * len(ids) + 1024:  # one pass, no call per id
            by_id = self._by_id = array("i", [_NONE]) * (top + 1)
            for position, track_id in enumerate(ids):
                by_id[track_id] = position
            self._count = len(by_id) - by_id.count(_NONE)
        else:
            self.update((track_id, position) for position, track_id in enumerate(ids))

    def update(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Set ``(track_id, position)`` pairs (as ``dict.update`` does)."""
        for track_id, position in pairs:
            self.set(track_id, position)

    def set(self, track_id: int, position: int) -> None:
        """``track_id`` is at ``position`` now."""
        sparse = self._sparse
        if sparse is None:
            by_id = self._by_id
            if 0 <= track_id < len(by_id):
                self._count += by_id[track_id] == _NONE
                by_id[track_id] = position
                return
            if 0 <= track_id <= 2 * self._count + 1024:
                by_id.extend(repeat(_NONE, track_id - len(by_id)))
                by_id.append(position)
                self._count += 1
                return
            sparse = self._sparse = dict(self.items())  # ids far apart: a dict costs less
            self._by_id = array("i")
        self._count += track_id not in sparse
        sparse[track_id] = position

    def get(self, track_id: int, default: int | None = None) -> int | None:
        """The position of ``track_id``, or ``default``."""
        if self._sparse is not None:
            return self._sparse.get(track_id, default)
        by_id = self._by_id
        if 0 <= track_id < len(by_id) and (position := by_id[track_id]) != _NONE:
            return position
        return default

    def __getitem__(self, track_id: int) -> int:
        position = self.get(track_id)
        if position is None:
            raise KeyError(track_id)
        return position

    def __contains__(self, track_id: object) -> bool:
        return isinstance(track_id, int) and self.get(track_id) is not None

    def __len__(self) -> int:
        return self._count

    def items(self) -> Iterator[tuple[int, int]]:
        """``(track_id, position)`` pairs."""
        if self._sparse is not None:
            yield from self._sparse.items()
            return
        for track_id, position in enumerate(self._by_id):
            if position != _NONE:
                yield track_id, position
