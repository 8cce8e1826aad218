"""The one-step radio path equals the batched methods (every cell, with and without skip)."""

from __future__ import annotations

import pytest
import torch

from recommender.model import SessionRNN, last_flags, repeat_flags
from recommender.radio import scores as radio
from recommender.radio.kernels import compiled

from .conftest import small_config


def _model(cell: str, skip_last: bool, dropout: float = 0.0, neighbours: int = 0) -> SessionRNN:
    torch.manual_seed(3)
    config = small_config(
        cell=cell,
        skip_last=skip_last,
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
        if model.flag_gate is not None and model.flag_distance is not None:
            model.flag_gate.normal_()
            model.flag_distance.normal_()
    return model.eval()


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("skip_last", [True, False])
@pytest.mark.parametrize("neighbours", [0, 3])
@torch.no_grad()
def test_one_step_path_equals_the_batched_methods(
    cell: str, skip_last: bool, neighbours: int
) -> None:
    model = _model(cell, skip_last, neighbours=neighbours)
    state = torch.randn(model.state_size) * 0.5
    for row in (5, 17, 33):
        _, expected = model.run(torch.tensor([[row]]), state.unsqueeze(0))
        stepped = model.step(row, state)
        assert stepped.shape == (model.state_size,)
        torch.testing.assert_close(stepped, expected[0], atol=1e-6, rtol=0)
        state = stepped
    output = state[: model.config.hidden_dim]
    query = model.step_query(output, 33)
    expected_query = model.query(output.unsqueeze(0), torch.tensor([33]), dropout=False)[0]
    torch.testing.assert_close(query, expected_query, atol=1e-6, rtol=0)
    for history in ([4, 9, 4, 21, 30, 9, 12], [4, 9, 4, 21, 30, 9, 9], [4, 9, 4, 21, 30, 9]):
        items = torch.tensor(history)
        flags = last_flags(history)
        torch.testing.assert_close(torch.tensor(flags), repeat_flags(items.unsqueeze(0))[0, -1])
        log_g, log_not_g = model.gate(output.unsqueeze(0), torch.tensor([flags]))
        expected_gate = (float(log_g), float(log_not_g))
        assert model.step_gate(output, flags) == pytest.approx(expected_gate, abs=1e-6)
        attention = model.repeat_attention(
            query.view(1, 1, -1), items.unsqueeze(0), causal=False, flags=torch.tensor([[flags]])
        )
        torch.testing.assert_close(
            model.step_attention(query, items, flags), attention[0, 0].exp(), atol=1e-6, rtol=0
        )


@pytest.mark.parametrize("neighbours", [0, 3])
@torch.no_grad()
def test_radios_compiled_gru_step_equals_the_models(neighbours: int) -> None:
    assert compiled() is not None  # numba is a dependency: this runs the compiled step
    model = _model("gru", True, neighbours=neighbours)
    state = torch.randn(model.state_size) * 0.5
    for row in (5, 10, 17, 33):
        item, stepped = radio._step(model, row, state)
        torch.testing.assert_close(item, model.item_vector(row), atol=1e-6, rtol=0)
        torch.testing.assert_close(stepped, model.step(row, state), atol=1e-6, rtol=0)
        state = stepped


@torch.no_grad()
def test_step_ignores_dropout_and_training_mode() -> None:
    model = _model("gru", True, dropout=0.5)
    state = torch.randn(model.state_size)
    model.eval()
    _, expected = model.run(torch.tensor([[7]]), state.unsqueeze(0))
    model.train()
    torch.testing.assert_close(model.step(7, state), expected[0], atol=1e-6, rtol=0)
    assert model.training  # step did not switch modes


@torch.no_grad()
def test_attention_over_a_long_history_keeps_the_distance_cap() -> None:
    model = _model("gru", True)
    query = torch.randn(model.config.embedding_dim)
    items = torch.tensor([*range(1, 40), 7, 7])  # longer than the distances told apart
    flags = last_flags(items.tolist())
    attention = model.repeat_attention(
        query.view(1, 1, -1), items.unsqueeze(0), causal=False, flags=torch.tensor([[flags]])
    )
    torch.testing.assert_close(
        model.step_attention(query, items, flags), attention[0, 0].exp(), atol=1e-6, rtol=0
    )


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
    for t in range(5):
        assert last_flags(items[1, : t + 1].tolist()) == flags[1, t].tolist()
