"""The RNN learns a planted order, grows its vocabulary without forgetting, and guards NaNs."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from recommender.config import ModelConfig
from recommender.model import LOG_ZERO, repeat_flags
from recommender.radio import scores as radio
from recommender.radio.engine import RadioModel
from recommender.radio.state import advance, initial_state
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from recommender.training import (
    NonFiniteLossError,
    accidental_hits,
    batch_loss,
    log_sum_exp_without,
    make_batches,
)
from recommender.vocab import Vocabulary
from tests.recommender.conftest import N_ITEMS, planted_sessions, small_config


def _top(rec: Recommender, prefix: list[int]) -> int:
    scores = rec.scores(prefix)
    return rec.vocab.track_id(int(np.argmax(scores)))


@pytest.mark.parametrize("start", [1, 5, 13, 20])
def test_learns_the_planted_sequence(trained: Recommender, start: int) -> None:
    prefix = [start, start % N_ITEMS + 1]
    assert _top(trained, prefix) == (start + 1) % N_ITEMS + 1


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_other_cells_learn_too(cell: str) -> None:
    rec = Recommender.train_full(
        planted_sessions(150),
        small_config(cell=cell, epochs=10),
        generator=torch.Generator().manual_seed(2),
    )
    hits = sum(_top(rec, [s, s % N_ITEMS + 1]) == (s + 1) % N_ITEMS + 1 for s in range(1, 25))
    assert hits >= 16


def test_session_scores_match_single_prefix(trained: Recommender) -> None:
    batch = trained.session_scores([(3, 4, 5, 6)])
    assert batch.shape == (3, len(trained.vocab))
    # session_scores rows are log-probabilities up to a per-row constant
    row = torch.log_softmax(batch[1], dim=0).numpy()
    np.testing.assert_allclose(row[1:], trained.scores([3, 4])[1:], rtol=1e-4, atol=1e-5)
    assert np.exp(trained.scores([3, 4])[1:]).sum() == pytest.approx(1.0, abs=1e-4)


def test_vocabulary_growth_keeps_old_predictions(trained: Recommender) -> None:
    before = {p: np.argsort(-trained.scores([p, p % N_ITEMS + 1])[1:])[:10] for p in (1, 9)}
    grown = _copy(trained)
    grown.add_tracks([1000, 1001, 1002])
    assert len(grown.vocab) == len(trained.vocab) + 3
    assert grown.vocab.index(1000) == len(trained.vocab)
    for p, order in before.items():
        scores = grown.scores([p, p % N_ITEMS + 1])[1 : len(trained.vocab)]
        assert np.array_equal(np.argsort(-scores)[:10], order)


def test_update_learns_new_tracks_and_keeps_old(trained: Recommender) -> None:
    rec = _copy(trained)
    rec.config = dataclasses.replace(rec.config, update_lr=0.01, update_epochs=3)
    new = [TrainingSession((100, 101, 102, 103)) for _ in range(30)]
    replay = planted_sessions(60, seed=5)
    # six updates: one optimizer lives across them, so unlike a fresh Adam per update its steps
    # shrink where the gradients are noisy (measured: 8 of 8 seeds learn the new order in six)
    for _ in range(6):
        rec.update(new, replay=replay)
    assert rec.vocab.index(103) is not None
    assert _top(rec, [100, 101]) == 102
    assert _top(rec, [4, 5]) == 6
    assert rec.cursor["updates"] == 6


def test_nan_guard_stops_without_corrupting_weights() -> None:
    sessions = [TrainingSession((1, 2, 3), (1.0, float("nan"), 1.0)) for _ in range(8)]
    with pytest.raises(NonFiniteLossError):
        Recommender.train_full(sessions, small_config(epochs=1))


def test_should_stop_and_progress_are_honoured() -> None:
    calls: list[tuple[int, int, str]] = []
    polls: list[int] = []

    def stop() -> bool:
        polls.append(1)
        return len(polls) > 60

    rec = Recommender.train_full(
        planted_sessions(200),
        small_config(epochs=50),
        progress=lambda d, t, m: calls.append((d, t, m)),
        should_stop=stop,
    )
    assert len(polls) == 61
    assert calls == [(50, calls[0][1], "train_full: epoch 4/50")]
    assert all(torch.isfinite(p).all() for p in rec.model.parameters())


def test_a_track_heard_first_in_an_update_starts_beside_its_neighbours(
    trained: Recommender,
) -> None:
    rec = _copy(trained)
    rec.config = dataclasses.replace(rec.config, update_epochs=0)  # the start alone
    rec.model.config = rec.config
    rec.add_tracks([501])  # in the library (a row) but never heard, as the app adds them
    rec.update([TrainingSession((3, 500, 4)), TrainingSession((501, 7))])
    w = rec.model.embedding.weight.detach()
    row = rec.vocab.indices([500, 501, 3, 4, 7])
    assert torch.allclose(w[row[0]], (w[row[2]] + w[row[3]]) / 2)
    assert torch.allclose(w[row[1]], w[row[4]])
    # a track heard before keeps its row
    assert torch.equal(w[row[2]], trained.model.embedding.weight.detach()[row[2]])


def _shifting_taste(n: int = 200) -> list[TrainingSession]:
    """Track 1 leads to 2 in the older 90% of sessions, to 3 in the most recent 10%."""
    return [TrainingSession((1, 2 if i < n * 0.9 else 3, 4 + i % 5, 10 + i % 7)) for i in range(n)]


def _p_next(rec: Recommender, prefix: list[int], track: int) -> float:
    scores = torch.from_numpy(rec.scores(prefix)).double()
    return float(torch.softmax(scores, 0)[rec.vocab.indices([track])[0]])


def test_recent_pass_moves_towards_the_latest_sessions() -> None:
    sessions = _shifting_taste()
    recent, plain = (
        Recommender.train_full(
            sessions,
            small_config(recent_share=share, epochs=4),
            generator=torch.Generator().manual_seed(2),
        )
        for share in (0.1, 0.0)
    )
    # the older habit still leads (a short pass at a fifth of the rate), but the new one gained
    assert _p_next(recent, [1], 3) > 2 * _p_next(plain, [1], 3)


def test_progress_counts_both_passes_as_one() -> None:
    calls: list[tuple[int, int, str]] = []
    Recommender.train_full(
        planted_sessions(400),
        small_config(recent_share=0.5, epochs=2),
        progress=lambda d, t, m: calls.append((d, t, m)),
    )
    done = [d for d, _, _ in calls]
    # 400 sessions / 16 = 25 steps x 2 epochs, then 200 / 16 = 13 steps x 3 (RECENT_EPOCHS)
    assert {t for _, t, _ in calls} == {89}
    assert done == sorted(done) and done[-1] == 89
    assert any("recent" in m for _, _, m in calls) and "recent" not in calls[0][2]


def test_config_adapts_to_data_size() -> None:
    small = ModelConfig.for_data(2_000, 5_000)
    large = ModelConfig.for_data(120_000, 60_000)
    assert small.hidden_dim < large.hidden_dim
    assert small.epochs > large.epochs
    assert small.dropout_embedding >= large.dropout_embedding
    assert ModelConfig.for_data(2_000, 5_000, epochs=3).epochs == 3
    assert large.neighbours > 0 and small.neighbours == 0  # they helped large data only


def _copy(rec: Recommender) -> Recommender:
    vocab = Vocabulary.from_list(rec.vocab.to_list())
    return Recommender(
        copy.deepcopy(rec.model), vocab, rec.config, rec.counts.copy(), dict(rec.cursor)
    )


@pytest.fixture(scope="module")
def with_neighbours() -> Recommender:
    """A small GRU with neighbour vectors, trained on the cycle and on some repeats."""
    sessions = planted_sessions()
    sessions += [TrainingSession((s, s % N_ITEMS + 1, s)) for s in range(1, N_ITEMS + 1)]
    config = small_config(neighbours=4)
    return Recommender.train_full(sessions, config, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("which", ["trained", "with_neighbours"])
def test_exact_softmax_loss_is_the_cross_entropy_of_the_scores(
    which: str, request: pytest.FixtureRequest
) -> None:
    rec: Recommender = request.getfixturevalue(which)
    session = TrainingSession((3, 4, 5, 3, 9, 4))
    [batch] = make_batches(rec.encode([session]), 4, torch.Generator().manual_seed(0))
    rec.model.eval()  # no dropout: the loss must match the scores radio and evaluation see
    with torch.no_grad():
        loss = float(batch_loss(rec.model, batch, None, None))
    items = session.items
    expected = -np.mean(
        [rec.scores(items[:t])[rec.vocab.index(items[t])] for t in range(1, len(items))]
    )
    assert loss == pytest.approx(expected, rel=1e-4)
    # the sampled softmax with every row drawn once and no log-Q correction is the exact one
    every = torch.arange(1, rec.model.n_items)
    with torch.no_grad():
        sampled = float(batch_loss(rec.model, batch, every, torch.zeros(len(every))))
    assert sampled == pytest.approx(loss, rel=1e-5)


def test_explore_new_leaves_repeats_to_the_repeat_head(with_neighbours: Recommender) -> None:
    rec = with_neighbours
    hits = sum(_top(rec, [s, s % N_ITEMS + 1]) == (s + 1) % N_ITEMS + 1 for s in range(1, 25))
    assert hits >= 20
    prefix = [3, 4, 5, 3]
    log_p = torch.from_numpy(rec.scores(prefix))
    heard = torch.tensor(rec.vocab.indices(set(prefix)))
    # the mass on the tracks heard is the repeat gate's g, all of it
    rows = torch.tensor([rec.vocab.indices(prefix)])
    with torch.no_grad():
        log_g, _ = rec.model.gate(rec.model.run(rows)[0][0, -1], repeat_flags(rows)[0, -1])
    assert float(log_p[heard].exp().sum()) == pytest.approx(float(log_g.exp()), rel=1e-4)
    # radio's one-step path gives the same distribution
    engine = RadioModel.of(rec)
    state = initial_state(engine)
    for track in prefix:
        state = advance(engine, state, track)
    stepped = radio.log_scores(engine, state)
    np.testing.assert_allclose(stepped[1:], log_p[1:].numpy(), rtol=1e-4, atol=1e-4)


def test_exact_softmax_training_learns_the_planted_sequence() -> None:
    rec = Recommender.train_full(
        planted_sessions(150), small_config(negatives=0), generator=torch.Generator().manual_seed(2)
    )
    hits = sum(_top(rec, [s, s % N_ITEMS + 1]) == (s + 1) % N_ITEMS + 1 for s in range(1, 25))
    assert hits >= 20
    with pytest.raises(ValueError, match="negatives"):
        small_config(negatives=-1)


@pytest.mark.parametrize(("positions", "slots", "rows"), [(1, 1, 2), (60, 40, 8), (300, 4096, 900)])
def test_accidental_hits_are_every_negative_equal_to_its_target(
    positions: int, slots: int, rows: int
) -> None:
    g = torch.Generator().manual_seed(positions)
    targets = torch.randint(1, rows, (positions,), generator=g)
    negatives = torch.randint(1, rows, (slots,), generator=g)  # with repeats, as drawn
    found = torch.stack(accidental_hits(targets, negatives), dim=1).tolist()
    expected = (negatives.unsqueeze(0) == targets.unsqueeze(1)).nonzero().tolist()
    assert expected  # the sizes above make hits, and repeated ones, certain
    assert sorted(found) == sorted(expected)


def test_log_sum_exp_without_hits_matches_torch_value_and_gradient() -> None:
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(50, 30, generator=g) * 8.0
    targets = torch.randint(1, 20, (50,), generator=g)
    negatives = torch.randint(1, 20, (30,), generator=g)
    hits = accidental_hits(targets, negatives)
    assert len(hits[0]) > 0
    weights = torch.randn(50, generator=g)

    expected_input = logits.clone().requires_grad_()
    masked = expected_input.index_put(hits, expected_input.new_tensor(LOG_ZERO))
    expected = torch.logsumexp(masked, dim=1)
    (expected * weights).sum().backward()

    fused_input = logits.clone().requires_grad_()
    fused = log_sum_exp_without(fused_input.clone(), hits)
    (fused * weights).sum().backward()

    assert torch.allclose(fused, expected.detach(), atol=1e-5)
    assert fused_input.grad is not None and expected_input.grad is not None
    assert torch.allclose(fused_input.grad, expected_input.grad, atol=1e-6)
    assert bool((fused_input.grad[hits] == 0).all())  # a left-out negative gets no gradient
