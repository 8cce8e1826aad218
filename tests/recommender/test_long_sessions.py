"""Scoring long sessions (radio runs for hours): blockwise results and memory linear in length."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import Tensor

import recommender.scoring as scoring_module
from player.plugin_api import TrackInfo
from recommender.checkpoint import save_recommender
from recommender.evaluation import evaluate
from recommender.metrics import RankMetrics, ranks
from recommender.model import LOG_ZERO, repeat_flags
from recommender.radio.engine import RadioModel
from recommender.radio.mixture import evidence
from recommender.radio.prior import ColdStartPrior
from recommender.radio.state import HISTORY_LENGTH
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from tests.recommender.conftest import N_ITEMS

UNKNOWN = 999  # an id the model never saw: enters as the padding row


def radio_session(length: int, seed: int) -> list[int]:
    """Mostly the planted cycle, often the same track again or an earlier one, a few unknowns."""
    rng = random.Random(seed)
    items = [rng.randrange(1, N_ITEMS + 1)]
    while len(items) < length:
        r = rng.random()
        if r < 0.2:
            items.append(rng.choice(items[-40:]))
        elif r < 0.3:
            items.append(items[-1])
        elif r < 0.32:
            items.append(UNKNOWN)
        else:
            items.append(items[-1] % N_ITEMS + 1 if items[-1] != UNKNOWN else 1)
    return items


def dense_flags(items: Tensor) -> Tensor:
    """repeat_flags as first written: every position compared with every other, (B, T, T)."""
    t_len = items.shape[1]
    same = (items.unsqueeze(2) == items.unsqueeze(1)) & (items > 0).unsqueeze(2)
    earlier = torch.ones(t_len, t_len, dtype=torch.bool).tril(-1)
    before_last = earlier.tril(-2)
    again = (same & (earlier & ~before_last)).any(-1)
    older = (same & before_last).any(-1)
    so_far = (again | older).cumsum(dim=1) > 0
    return torch.stack([again, older, so_far], dim=-1).float()


@torch.no_grad()
def dense_log_probs(rec: Recommender, session: list[int]) -> Tensor:
    """The former scoring, all positions at once: log p (T - 1, rows), as an oracle.

    Attention (T, T), history (T, T) and the repeat mass through a (T, T, T) comparison: what
    made memory grow with the cube of a session's length. Row 0 is left out of the explore part.
    """
    model = rec.model
    inputs = torch.tensor([[rec.vocab.index(i) or 0 for i in session[:-1]]])
    vectors = model.item_input(inputs)
    outputs, _ = model.run(inputs, vectors=vectors)
    query = model.query(outputs, inputs, vectors=vectors)
    flags = dense_flags(inputs)
    attention = model.repeat_attention(query, inputs, causal=True, flags=flags)[0]
    t_len = inputs.shape[1]
    history = inputs.expand(t_len, -1) * torch.ones(t_len, t_len, dtype=torch.long).tril()
    log_g, log_not_g = model.gate(outputs[0], flags[0])
    scores = model.explore_logits(query[0])
    scores.scatter_(1, history, LOG_ZERO)
    scores[:, 0] = LOG_ZERO
    shift = torch.logsumexp(scores, dim=1) - log_not_g
    same = history.unsqueeze(2) == history.unsqueeze(1)
    mass = (same * attention.exp().unsqueeze(1)).sum(-1)
    repeat = (log_g + shift).unsqueeze(1) + mass.log()
    scores.scatter_(1, history, torch.logaddexp(scores.gather(1, history), repeat))
    scores[:, 0] = -math.inf
    return torch.log_softmax(scores, dim=1)


def test_repeat_flags_equal_the_pairwise_definition() -> None:
    generator = torch.Generator().manual_seed(3)
    for width in (0, 1, 2, 7, 40):
        items = torch.randint(0, 6, (5, width), generator=generator)
        assert torch.equal(repeat_flags(items), dense_flags(items))


@pytest.mark.parametrize(("block", "cells"), [(256, 4096), (16, 64), (7, 1)])
def test_blockwise_scores_equal_the_dense_computation(
    trained: Recommender, monkeypatch: pytest.MonkeyPatch, block: int, cells: int
) -> None:
    monkeypatch.setattr(scoring_module, "EVAL_BLOCK", block)
    monkeypatch.setattr(scoring_module, "EVAL_CELLS", cells)
    sessions = [radio_session(9, 1), radio_session(300, 2), [5], radio_session(40, 3)]
    blocks = list(trained.score_blocks(sessions))
    assert all(len(b) <= block for b in blocks)
    got = torch.log_softmax(torch.cat(blocks), dim=1)
    expected = torch.cat([dense_log_probs(trained, s) for s in sessions if len(s) >= 2])
    assert got.shape == expected.shape == (8 + 299 + 39, len(trained.vocab))
    assert torch.equal(torch.isinf(got), torch.isinf(expected))
    torch.testing.assert_close(got[:, 1:], expected[:, 1:], rtol=0, atol=1e-5)
    torch.testing.assert_close(trained.session_scores(sessions), torch.cat(blocks))


def test_evaluation_by_blocks_ranks_as_the_dense_scores(
    trained: Recommender, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring_module, "EVAL_BLOCK", 32)
    sessions = [radio_session(200, 4), radio_session(12, 5), radio_session(90, 6)]
    got = evaluate(trained, sessions)
    expected = RankMetrics()
    dense = torch.cat([dense_log_probs(trained, s) for s in sessions])
    index = trained.vocab.index
    targets = torch.tensor([(index(t) or 0) - 1 for s in sessions for t in s[1:]])
    expected.add(ranks(dense[:, 1:], targets))
    assert got.positions == expected.positions == 199 + 11 + 89
    for k in (10, 20):
        assert got.hits[k] == expected.hits[k]
        assert got.mrr(k) == pytest.approx(expected.mrr(k), rel=1e-12)


def test_evidence_keeps_the_probability_of_each_next_track(trained: Recommender) -> None:
    session = radio_session(HISTORY_LENGTH, 7)  # radio's state looks back this far
    prior = ColdStartPrior(
        [TrackInfo(i, f"/m/{i}.mp3", f"t{i}", f"a{i % 3}") for i in range(1, N_ITEMS + 1)]
    )
    pairs = evidence(RadioModel.of(trained), prior, [TrainingSession(tuple(session))])
    dense = dense_log_probs(trained, session)
    rows = [trained.vocab.index(i) for i in session[1:]]
    expected = [float(dense[t, r].exp()) for t, r in enumerate(rows) if r is not None]
    assert len(pairs) == len(expected) > 20
    assert [p for p, _ in pairs] == pytest.approx(expected, rel=1e-4)


CHILD = """
import resource, sys
import torch
torch.set_num_threads(1)
from pathlib import Path
from player.plugin_api import TrackInfo
from recommender.radio.prior import ColdStartPrior
from recommender.radio.state import HISTORY_LENGTH
from recommender.evaluation import evaluate
from recommender.radio.engine import RadioModel
from recommender.radio.mixture import evidence
from recommender.checkpoint import load_recommender
from recommender.radio.engine import RadioModel
from recommender.sessions import TrainingSession
from tests.recommender.test_long_sessions import N_ITEMS, radio_session

rec = load_recommender(Path(sys.argv[1]))
prior = ColdStartPrior([TrackInfo(i, f"/m/{i}", "t", "a") for i in range(1, N_ITEMS + 1)])
session = radio_session(int(sys.argv[2]), 8)
engine = RadioModel.of(rec)
evidence(engine, prior, [TrainingSession((1, 2, 3))])  # warm up: lazy imports, first allocations
with open("/proc/self/status") as status:
    size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:")) * 1024
budget = int(sys.argv[3]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (size + budget, size + budget))
pairs = evidence(engine, prior, [TrainingSession(tuple(session))])
metrics = evaluate(rec, [session[:2500], session])
scores = rec.session_scores([session])
print(len(pairs), metrics.positions, tuple(scores.shape))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmSize from /proc")
def test_a_long_session_is_scored_within_a_memory_cap(trained: Recommender, tmp_path: Path) -> None:
    # 10,000 plays: one (T, T) float32 matrix alone takes 400 MB, the former (T, T, T)
    # comparison asked for 1 TB; blockwise scoring needs a few tens of MB over the baseline.
    length, budget_mb = 10_000, 400
    save_recommender(trained, tmp_path / "model")
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", textwrap.dedent(CHILD), str(tmp_path / "model")]
    result = subprocess.run(
        [*command, str(length), str(budget_mb)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    known = sum(1 for i in radio_session(length, 8)[1:] if i != UNKNOWN)
    positions = length - 1
    assert result.stdout.split() == [
        str(known),
        str(2499 + positions),
        f"({positions},",
        f"{len(trained.vocab)})",
    ]


def test_one_prefix_scores_equal_the_dense_computation(trained: Recommender) -> None:
    session = radio_session(60, 9)
    dense = dense_log_probs(trained, session)
    got = torch.from_numpy(trained.scores(session[:-1]))
    torch.testing.assert_close(got[1:], dense[-1, 1:], rtol=0, atol=1e-5)
