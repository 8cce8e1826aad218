"""The vocabulary: external track ids <-> model rows (row 0 reserved; grows, never shrinks)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: Ids up to this many times the vocabulary's size (plus a margin) are looked up in a dense
#: table; ids spread wider fall back to a dict.
DENSE_SPREAD = 4
DENSE_MARGIN = 1024


class Vocabulary:
    """Maps external track ids to row indices 1..n; index 0 is padding / start and has no id.

    Library ids are SQLite row ids, dense from 1: the rows are kept in numpy arrays (the ids
    by row, and a table from id to row), 8 to 16 bytes a track where a dict and a list of
    Python ints took 130 (13 MB at 100,000 tracks). Ids spread far apart use a dict instead.
    """

    def __init__(self) -> None:
        self._ids = np.full(16, -1, dtype=np.int64)  # by row; capacity doubles
        self._size = 1
        self._table = np.full(16, -1, dtype=np.int64)  # id -> row (-1: unknown); or None
        self._dict: dict[int, int] | None = None

    def index(self, track_id: int) -> int | None:
        """Row index of ``track_id``, or ``None`` if it is unknown."""
        if self._dict is not None:
            return self._dict.get(track_id)
        if 0 <= track_id < len(self._table):
            row = int(self._table[track_id])
            return row if row > 0 else None
        return None

    def track_id(self, index: int) -> int:
        """External id of row ``index`` (``index`` >= 1)."""
        if index <= 0:
            raise IndexError("row 0 is reserved and has no track id")
        if index >= self._size:
            raise IndexError(f"row {index} is beyond the vocabulary")
        return int(self._ids[index])

    def add(self, track_ids: Iterable[int]) -> list[int]:
        """Add unknown ids at the end; returns the ids that were new, in order."""
        ids = np.fromiter((int(t) for t in track_ids), dtype=np.int64)
        _, first = np.unique(ids, return_index=True)
        ids = ids[np.sort(first)]  # each id once, in the order given
        ids = ids[~self._known(ids)]
        if not len(ids):
            return []
        start, end = self._size, self._size + len(ids)
        if end > len(self._ids):
            grown = np.full(max(end, 2 * len(self._ids)), -1, dtype=np.int64)
            grown[: self._size] = self._ids[: self._size]
            self._ids = grown
        self._ids[start:end] = ids
        self._size = end
        rows = np.arange(start, end, dtype=np.int64)
        top = int(ids.max())
        if self._dict is None and (top > DENSE_SPREAD * end + DENSE_MARGIN or int(ids.min()) < 0):
            self._dict = dict(zip(self._ids[1:start].tolist(), range(1, start), strict=True))
            self._table = np.zeros(0, dtype=np.int64)
        new: list[int] = ids.tolist()
        if self._dict is not None:
            self._dict.update(zip(new, rows.tolist(), strict=True))
            return new
        if top >= len(self._table):
            table = np.full(max(top + 1, 2 * len(self._table)), -1, dtype=np.int64)
            table[: len(self._table)] = self._table
            self._table = table
        self._table[ids] = rows
        return new

    def _known(self, ids: np.ndarray) -> np.ndarray:
        if self._dict is not None:
            known = self._dict
            return np.fromiter((int(t) in known for t in ids), dtype=bool, count=len(ids))
        inside = (ids >= 0) & (ids < len(self._table))
        out = np.zeros(len(ids), dtype=bool)
        out[inside] = self._table[ids[inside]] > 0
        return out

    def indices(self, track_ids: Iterable[int]) -> list[int]:
        """Row indices of the known ids among ``track_ids`` (unknown ones are left out)."""
        get = self.index
        return [i for i in (get(t) for t in track_ids) if i is not None]

    def ids_array(self) -> np.ndarray:
        """External ids by row as an int64 array (row 0 holds -1)."""
        return self._ids[: self._size].copy()

    def __len__(self) -> int:
        """Number of rows, counting the reserved row 0."""
        return self._size

    def __contains__(self, track_id: object) -> bool:
        return isinstance(track_id, int | np.integer) and self.index(int(track_id)) is not None

    def to_list(self) -> list[int]:
        """The external ids of rows 1..n, in row order (JSON-friendly)."""
        ids: list[int] = self._ids[1 : self._size].tolist()
        return ids

    @classmethod
    def from_list(cls, track_ids: Iterable[int]) -> Vocabulary:
        """Rebuild from :meth:`to_list` output; duplicates are an error."""
        vocab = cls()
        ids = list(track_ids)
        vocab.add(ids)
        if len(vocab) != len(ids) + 1:
            raise ValueError("vocabulary list holds duplicate ids")
        return vocab
