"""Radio's numpy engine steps and scores as the torch model does (every cell, every option)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.model import SessionRNN, repeat_flags
from recommender.radio import scores as radio
from recommender.radio.engine import RadioModel
from recommender.radio.engine import repeat_flags as engine_flags
from recommender.radio.state import advance, initial_state
from recommender.recommender import Recommender
from recommender.vocab import Vocabulary

from .conftest import small_config


def _model(cell: str, dropout: float = 0.0, neighbours: int = 0) -> SessionRNN:
    torch.manual_seed(3)
    config = small_config(
        cell=cell,
        dropout_embedding=dropout,
        dropout_hidden=dropout,
        neighbours=neighbours,
    )
    model = SessionRNN(40, config)
    if neighbours:  # some rows with fewer neighbours than the width, some with none
        counts = torch.randint(0, 4, (40, neighbours)).float()
        counts[:, 0] = counts[:, 0] * (torch.arange(40) % 5 > 0)
        model.set_neighbours(torch.randint(1, 40, (40, neighbours)), counts)
    with torch.no_grad():  # a bias and distance profile that are not all zero
        model.item_bias.normal_()
        model.repeat_distance.normal_()
        model.repeat_gate.bias.fill_(0.3)
        model.flag_gate.normal_()
        model.flag_distance.normal_()
    return model.eval()


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("neighbours", [0, 3])
def test_radio_scores_equal_the_models_after_the_same_plays(cell: str, neighbours: int) -> None:
    model = _model(cell, neighbours=neighbours)
    vocab = Vocabulary()
    vocab.add(range(101, 140))  # rows 1..39
    rec = RadioModel.of(Recommender(model, vocab, model.config, np.ones(len(vocab))))
    torch_rec = Recommender(model, vocab, model.config, np.ones(len(vocab)))
    for plays in ([105, 117, 133], [104, 109, 104, 121, 130, 109, 109]):
        state = initial_state(rec)
        for track in plays:
            state = advance(rec, state, track)
        expected = torch_rec.scores(plays)
        got = radio.log_scores(rec, state)
        np.testing.assert_allclose(got[1:], expected[1:], atol=1e-5, rtol=0)


def test_repeat_flags_mark_same_again_earlier_and_any_repeat_so_far() -> None:
    items = torch.tensor([[3, 3, 5, 3, 6, 0, 0], [1, 2, 4, 2, 2, 0, 0]])
    flags = repeat_flags(items)
    assert flags[0].tolist() == [
        [0, 0, 0],
        [1, 0, 1],  # 3 again
        [0, 0, 1],
        [0, 1, 1],  # 3 heard before the last track
        [0, 0, 1],
        [0, 0, 1],  # padding repeats nothing (the session-wide flag stays)
        [0, 0, 1],
    ]
    assert flags[1, :5].tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 1, 1], [1, 1, 1]]

    for row in (items[0].tolist(), items[1, :5].tolist()):  # the engine's flags after the last
        np.testing.assert_array_equal(engine_flags(row), repeat_flags(torch.tensor([row]))[0, -1])
