"""How likely radio's own distribution finds the real next tracks (``evaluate --likelihood``).

Ranks say whether the right track is near the top; radio *samples*, so what matters is the
mass it puts on what the listener really played next. The distribution is radio's: the
recommender (the blend, or the RNN alone) tempered at the default adventurousness, mixed with
the library-structure prior at the share radio gives it, no recent-window mask. Beside it: a
first-order Markov model with add-one smoothing on the same positions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from player.plugin_api import DEFAULT_ADVENTUROUSNESS, sampling_options
from recommender.blend import Blend
from recommender.parts import tempered
from recommender.radio.prior import ColdStartPrior, prior_weight
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from recommender.tags import ItemTags


@dataclass(frozen=True)
class Likelihood:
    """Mean log-probability (nats) and mean probability of the real next tracks."""

    log_p: float
    p: float
    positions: int

    def to_dict(self, prefix: str) -> dict[str, float | int]:
        """JSON-friendly figures, keys prefixed (``radio_`` / ``markov_``)."""
        return {f"{prefix}log_p": round(self.log_p, 4), f"{prefix}p": round(self.p, 5)}


def radio_likelihood(
    scorer: Blend | Recommender,
    train: Sequence[TrainingSession],
    sessions: Sequence[Sequence[int]],
    tags: Mapping[int, ItemTags] | None = None,
    adventurousness: float = DEFAULT_ADVENTUROUSNESS,
) -> Likelihood:
    """Radio's distribution at ``adventurousness`` scored on every next track of ``sessions``."""
    options = sampling_options(adventurousness)
    temperature, top_p = options["temperature"], options["top_p"]
    vocab = scorer.vocab
    ids = vocab.ids_array()[1:]
    tags = tags or {}
    prior = ColdStartPrior([tags.get(int(i), ItemTags()).track_info(int(i)) for i in ids])
    prior_rows = np.concatenate([[0], prior.rows_of(ids)])  # model row -> prior row
    share = prior_weight(len(train))
    logs: list[float] = []
    probs: list[float] = []
    index = vocab.index
    targets = [index(i) or 0 for s in sessions if len(s) >= 2 for i in s[1:]]
    for (previous, model_side), target in zip(
        _model_side(scorer, sessions, temperature, top_p), targets, strict=True
    ):
        structure = tempered(prior.scores(vocab.track_id(previous) if previous else None),
                             temperature)  # fmt: skip
        p_prior = structure[prior_rows[target]] if target else 0.0
        p = (1.0 - share) * (model_side[target] if target else 0.0) + share * p_prior
        logs.append(math.log(p) if p > 0 else -math.inf)
        probs.append(p)
    return Likelihood(float(np.mean(logs)), float(np.mean(probs)), len(probs))


def _model_side(
    scorer: Blend | Recommender,
    sessions: Sequence[Sequence[int]],
    temperature: float,
    top_p: float,
) -> Iterator[tuple[int, np.ndarray]]:
    """(previous row, radio's model-side distribution over rows) after every prefix."""
    index = scorer.vocab.index
    previous = [index(i) or 0 for s in sessions if len(s) >= 2 for i in s[:-1]]
    if isinstance(scorer, Blend):
        for (components, context), last in zip(scorer.components(sessions), previous, strict=True):
            components[0] = _nucleus(tempered(components[0], temperature), top_p)
            components[1:] = tempered(components[1:], temperature)
            yield last, scorer.weights[context] @ components
        return
    done = 0
    for block in scorer.score_blocks(sessions):
        log_p = torch.log_softmax(block.double() / temperature, dim=1).numpy()
        for row in log_p:
            yield previous[done], _nucleus(np.exp(row), top_p)
            done += 1


def _nucleus(p: np.ndarray, top_p: float) -> np.ndarray:
    """Radio's top-p cut of the model's distribution (1: off)."""
    if top_p >= 1.0:
        return p
    order = np.argsort(-p)
    keep = np.cumsum(p[order]) - p[order] < top_p
    out = np.zeros_like(p)
    out[order[keep]] = p[order[keep]]
    out /= out.sum()
    return out


def markov_likelihood(
    train: Sequence[TrainingSession], sessions: Sequence[Sequence[int]]
) -> Likelihood:
    """First-order Markov with add-one smoothing over the training items, same positions."""
    counts: dict[int, dict[int, int]] = {}
    items = {i for s in train for i in s.items}
    for session in train:
        for a, b in itertools.pairwise(session.items):
            row = counts.setdefault(a, {})
            row[b] = row.get(b, 0) + 1
    totals = {a: sum(row.values()) for a, row in counts.items()}
    n = len(items)
    logs, probs = [], []
    for test in sessions:
        for a, b in itertools.pairwise(test):
            p = (counts.get(a, {}).get(b, 0) + 1) / (totals.get(a, 0) + n) if b in items else 0.0
            logs.append(math.log(p) if p > 0 else -math.inf)
            probs.append(p)
    return Likelihood(float(np.mean(logs)), float(np.mean(probs)), len(probs))
