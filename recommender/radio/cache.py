"""What radio keeps between picks: the model rows of long-lived exclusions and of the library."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from recommender.vocab import Vocabulary


class RadioCache:
    """Row look-ups radio would otherwise repeat at every pick (100,000 dict look-ups each)."""

    def __init__(self) -> None:
        self._rows: tuple[Collection[int], Vocabulary, int, np.ndarray] | None = None
        self._library: tuple[Vocabulary, int, np.ndarray, np.ndarray] | None = None

    def rows(self, vocab: Vocabulary, ids: Collection[int]) -> np.ndarray | None:
        """Row indices of ``ids``, looked up again for another set object, another vocabulary
        (a retrained model's, even of the same size and another order) or a grown one."""
        if not ids:
            return None
        cached = self._rows
        if (
            cached is None
            or cached[0] is not ids
            or cached[1] is not vocab
            or cached[2] != len(vocab)
        ):
            rows = np.asarray(vocab.indices(ids), dtype=np.int64)
            self._rows = cached = (ids, vocab, len(vocab), rows)
        return cached[3]

    def library_rows(self, vocab: Vocabulary, track_ids: np.ndarray) -> np.ndarray:
        """The model row of each library track (``-1``: unknown to the model), in library
        order; looked up again only for another or a grown vocabulary, or another library."""
        cached = self._library
        if (
            cached is None
            or cached[0] is not vocab
            or cached[1] != len(vocab)
            or cached[2] is not track_ids
        ):
            get = vocab.index
            rows = np.fromiter((get(int(t)) or -1 for t in track_ids), np.int64, len(track_ids))
            self._library = cached = (vocab, len(vocab), track_ids, rows)
        return cached[3]
