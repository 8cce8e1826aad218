"""The vocabulary: external track ids <-> model rows (row 0 reserved; grows, never shrinks)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Vocabulary:
    """Maps external track ids to row indices 1..n; index 0 is padding / start and has no id."""

    def __init__(self) -> None:
        self._ids: list[int] = [-1]
        self._index: dict[int, int] = {}

    def index(self, track_id: int) -> int | None:
        """Row index of ``track_id``, or ``None`` if it is unknown."""
        return self._index.get(track_id)

    def track_id(self, index: int) -> int:
        """External id of row ``index`` (``index`` >= 1)."""
        if index <= 0:
            raise IndexError("row 0 is reserved and has no track id")
        return self._ids[index]

    def add(self, track_ids: Iterable[int]) -> list[int]:
        """Add unknown ids at the end; returns the ids that were new, in order."""
        new: list[int] = []
        for track_id in track_ids:
            if track_id not in self._index:
                self._index[track_id] = len(self._ids)
                self._ids.append(track_id)
                new.append(track_id)
        return new

    def indices(self, track_ids: Iterable[int]) -> list[int]:
        """Row indices of the known ids among ``track_ids`` (unknown ones are left out)."""
        get = self._index.get
        return [i for i in (get(t) for t in track_ids) if i is not None]

    def ids_array(self) -> np.ndarray:
        """External ids by row as an int64 array (row 0 holds -1)."""
        return np.asarray(self._ids, dtype=np.int64)

    def __len__(self) -> int:
        """Number of rows, counting the reserved row 0."""
        return len(self._ids)

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._index

    def to_list(self) -> list[int]:
        """The external ids of rows 1..n, in row order (JSON-friendly)."""
        return self._ids[1:]

    @classmethod
    def from_list(cls, track_ids: Iterable[int]) -> Vocabulary:
        """Rebuild from :meth:`to_list` output; duplicates are an error."""
        vocab = cls()
        ids = list(track_ids)
        vocab.add(ids)
        if len(vocab) != len(ids) + 1:
            raise ValueError("vocabulary list holds duplicate ids")
        return vocab
