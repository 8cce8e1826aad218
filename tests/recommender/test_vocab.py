"""The vocabulary: ids to rows and back, dense library ids and ids spread far apart alike."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.vocab import Vocabulary


@pytest.mark.parametrize("far", [0, 10**12])  # SQLite row ids; ids spread far apart (a dict)
def test_rows_follow_the_order_of_first_appearance_and_never_move(far: int) -> None:
    vocab = Vocabulary()
    assert vocab.add([5, 3, 5, 9]) == [5, 3, 9]
    assert vocab.add([3, 7 + far, 2]) == [7 + far, 2]
    assert vocab.add([]) == [] and vocab.add([9, 5]) == []
    assert [vocab.index(t) for t in (5, 3, 9, 7 + far, 2)] == [1, 2, 3, 4, 5]
    assert vocab.index(4) is None and vocab.index(-1) is None and vocab.index(10**15) is None
    assert vocab.track_id(4) == 7 + far and len(vocab) == 6
    assert vocab.to_list() == [5, 3, 9, 7 + far, 2]
    assert vocab.ids_array().tolist() == [-1, 5, 3, 9, 7 + far, 2]
    assert 9 in vocab and np.int64(9) in vocab and 4 not in vocab and "9" not in vocab
    assert vocab.indices([2, 4, 5]) == [5, 1]
    with pytest.raises(IndexError):
        vocab.track_id(0)
    with pytest.raises(IndexError):
        vocab.track_id(6)


def test_a_list_round_trips_and_duplicates_are_refused() -> None:
    vocab = Vocabulary()
    vocab.add(range(1, 100_001))
    again = Vocabulary.from_list(vocab.to_list())
    assert again.index(54_321) == 54_321 and len(again) == 100_001
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary.from_list([1, 2, 1])
