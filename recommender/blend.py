"""The recommender at a listener's scale: the RNN mixed with the history parts, weights fitted.

``p(next) = w_0 p_model + sum_k w_k p_part_k`` (:mod:`recommender.parts`). The weights are
fitted by EM to the listener's own history: the model and parts are built from all but the most
recent sessions, the real next tracks of those recent sessions are scored, and the weights that
make them most likely are kept; then the model and parts are rebuilt from everything. Each
listener gets the mix their history supports (album runs, repeats, a few artists...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recommender.config import ModelConfig
from recommender.parts import (
    COMPONENTS,
    CONTEXTS,
    HistoryParts,
    history_parts,
)
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession, item_ids
from recommender.tags import Tagged
from recommender.training import Progress, ShouldStop
from recommender.vocab import Vocabulary

#: Share of the most recent sessions held out to fit the weights (at least MIN_HELD_OUT).
HELD_OUT_SHARE = 0.15
MIN_HELD_OUT = 5
#: Fewer sessions than this: no held-out fit, the default weights.
MIN_SESSIONS_TO_FIT = 20
#: Every weight stays at least this (nothing is ever shut out).
WEIGHT_FLOOR = 0.005
#: A context's weights are pulled towards the overall ones as if seen this many times.
CONTEXT_PRIOR = 30.0
#: Weights before any fit (every context): the model, then PART_NAMES.
DEFAULT_WEIGHTS = (0.4, 0.1, 0.15, 0.05, 0.05, 0.1, 0.05, 0.05, 0.05)


def fit_weights(
    evidence: np.ndarray,
    contexts: np.ndarray | None = None,
    iterations: int = 200,
) -> np.ndarray:
    """Mixture weights per context that make the observed next tracks most likely (EM).

    One set of weights is fitted over all positions, then each context's own, drawn towards
    the overall set as if it had been seen :data:`CONTEXT_PRIOR` times (a context seen
    rarely keeps nearly the overall weights).

    Args:
        evidence: (positions, components) probability each component gave the real next track.
        contexts: (positions,) index into :data:`CONTEXTS` of each position (None: all 0).

    Returns:
        (len(CONTEXTS), components) weights, each row summing to 1, each at least
        :data:`WEIGHT_FLOOR`; :data:`DEFAULT_WEIGHTS` for every context when there is no
        position to fit on (sessions whose next tracks the model never saw).
    """
    if not len(evidence):
        return np.tile(np.asarray(DEFAULT_WEIGHTS, dtype=np.float64), (len(CONTEXTS), 1))
    p = np.asarray(evidence, dtype=np.float64).reshape(len(evidence), -1)
    k = p.shape[1]
    where = np.zeros(len(p), dtype=np.int64) if contexts is None else np.asarray(contexts)
    overall = _em(p, np.full(k, 1.0 / k), 0.0, iterations)
    out = np.empty((len(CONTEXTS), k))
    for c in range(len(CONTEXTS)):
        out[c] = _em(p[where == c], overall, CONTEXT_PRIOR, iterations)
    out = np.maximum(out, WEIGHT_FLOOR)
    return np.asarray(out / out.sum(axis=1, keepdims=True))


def _em(p: np.ndarray, prior: np.ndarray, strength: float, iterations: int) -> np.ndarray:
    """EM for mixture weights with a Dirichlet-like pull of ``strength`` towards ``prior``."""
    w = prior.copy()
    if len(p) == 0:
        return w
    for _ in range(iterations):
        joint = p * w
        total = joint.sum(axis=1, keepdims=True)
        resp = np.divide(joint, total, out=np.tile(w, (len(p), 1)), where=total > 0)
        w = (resp.sum(axis=0) + strength * prior) / (len(p) + strength)
    return w


@dataclass
class Blend:
    """A trained model, the parts of the same history and the fitted weights.

    Attributes:
        rec: The RNN recommender (its vocabulary is the blend's).
        parts: The history parts over the same rows.
        weights: (CONTEXTS, COMPONENTS): per context, one weight per component (model first).
    """

    rec: Recommender
    parts: HistoryParts
    weights: np.ndarray

    @property
    def vocab(self) -> Vocabulary:
        """The model's vocabulary (scoring interface)."""
        return self.rec.vocab

    @classmethod
    def train(
        cls,
        sessions: Sequence[TrainingSession],
        config: ModelConfig | None = None,
        *,
        tags: Mapping[int, Tagged] | None = None,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Blend:
        """Fit the weights on the most recent sessions, then train on everything."""
        if config is None:
            config = ModelConfig.for_data(len(sessions), len(item_ids(sessions)))
        weights = np.tile(DEFAULT_WEIGHTS, (len(CONTEXTS), 1))
        if len(sessions) >= MIN_SESSIONS_TO_FIT:
            held = max(MIN_HELD_OUT, int(len(sessions) * HELD_OUT_SHARE))
            head, tail = sessions[:-held], sessions[-held:]
            first = Recommender.train_full(
                head, config, progress=_scaled(progress, 0, 2), should_stop=should_stop
            )
            early = cls.build(first, head, tags, weights)
            evidence, contexts = early.evidence([s.items for s in tail])
            if len(evidence) > 0:
                weights = fit_weights(evidence, contexts)
        rec = Recommender.train_full(
            sessions, config, progress=_scaled(progress, 1, 2), should_stop=should_stop
        )
        return cls.build(rec, sessions, tags, weights)

    @classmethod
    def build(
        cls,
        rec: Recommender,
        sessions: Sequence[TrainingSession],
        tags: Mapping[int, Tagged] | None,
        weights: np.ndarray | Sequence[float],
    ) -> Blend:
        """The parts of ``sessions`` over ``rec``'s rows, with the given weights."""
        parts = history_parts(rec.vocab, sessions, tags)
        return cls(rec, parts, np.asarray(weights, dtype=np.float64))

    # --- distributions ------------------------------------------------------------------------
    def components(self, sessions: Sequence[Sequence[int]]) -> Iterator[tuple[np.ndarray, int]]:
        """(COMPONENTS, rows) probabilities and the context after every prefix, in order."""
        index = self.rec.vocab.index
        for session in sessions:
            if len(session) < 2:
                continue
            rows = [index(i) or 0 for i in session]
            with torch.no_grad():
                model = torch.cat(list(self.rec.score_blocks([session])))
            p_model = torch.softmax(model.double(), dim=1).numpy()
            for t in range(len(session) - 1):
                out = np.empty((len(COMPONENTS), self.parts.n_rows))
                out[0] = p_model[t]
                out[1:] = self.parts.distributions(rows[: t + 1])
                yield out, self.parts.context(rows[: t + 1])

    def evidence(self, sessions: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, COMPONENTS) probability of each real next track, and each position's
        context (next tracks the model does not know are skipped)."""
        index = self.rec.vocab.index
        targets = [index(i) for s in sessions if len(s) >= 2 for i in s[1:]]
        rows, contexts = [], []
        for (c, context), t in zip(self.components(sessions), targets, strict=True):
            if t:
                rows.append(c[:, t])
                contexts.append(context)
        return np.asarray(rows).reshape(-1, len(COMPONENTS)), np.asarray(contexts, dtype=np.int64)

    def mixed(self, components: np.ndarray, context: int) -> np.ndarray:
        """The weighted mix of ``components`` (what evaluation ranks)."""
        mix: np.ndarray = self.weights[context] @ components
        return mix

    def score_blocks(self, sessions: Sequence[Sequence[int]]) -> Iterator[Tensor]:
        """log p of every row after every prefix, a session at a time (evaluation)."""
        block: list[np.ndarray] = []
        for components, context in self.components(sessions):
            block.append(self.mixed(components, context))
            if len(block) >= 256:
                yield _log(block)
                block = []
        if block:
            yield _log(block)

    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """All of :meth:`score_blocks` at once."""
        blocks = list(self.score_blocks(sessions))
        return torch.cat(blocks) if blocks else torch.empty((0, len(self.vocab)))


def _log(block: list[np.ndarray]) -> Tensor:
    values = torch.from_numpy(np.stack(block))
    values[:, 0] = 0.0
    return torch.log(values.clamp_min(1e-300))


def _scaled(progress: Progress | None, part: int, parts: int) -> Progress | None:
    """Report one of ``parts`` equal stages of a longer job."""
    if progress is None:
        return None
    report: Callable[[int, int, str], None] = progress

    def scaled(done: int, total: int, message: str) -> None:
        report(part * total + done, parts * total, message)

    return scaled
