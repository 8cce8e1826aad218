"""Radio's pick: the model mixed with the cold-start prior, tempered, masked and drawn.

numpy only: neither torch nor Qt (the model is :class:`RadioModel`, read without torch).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from player.plugin_api import Suggestion
from recommender.radio.cache import RadioCache
from recommender.radio.draw import Draw
from recommender.radio.engine import RadioModel
from recommender.radio.prior import ColdStartPrior
from recommender.radio.scores import distribution, log_scores, next_draw
from recommender.radio.state import advance, initial_state

if TYPE_CHECKING:
    from recommender.parts import RadioParts
    from recommender.radio.state import RadioState
    from recommender.sessions import TrainingSession

#: Below this share the prior is left out of the mix (saves its cost on big libraries).
PRIOR_FLOOR = 0.02


def evidence(
    rec: RadioModel,
    prior: ColdStartPrior,
    sessions: Sequence[TrainingSession],
    parts: RadioParts | None = None,
) -> list[list[float]]:
    """``[p_model, p_prior]`` of every next track of ``sessions`` (call before learning them).

    ``p_model`` is the model's side of radio's mix, as radio would have drawn it at each step
    (the state carried through the session): with the blend's ``parts``, the model and the
    parts at their fitted weights.
    """
    out: list[list[float]] = []
    for session in sessions:
        items = list(session.items)
        heard = [rec.vocab.index(i) or 0 for i in items]
        state = initial_state(rec)
        for t in range(len(items) - 1):
            state = advance(rec, state, items[t])
            row, prior_row = rec.vocab.index(items[t + 1]), prior.row(items[t + 1])
            if row is None or prior_row is None:
                continue
            p_model = math.exp(float(log_scores(rec, state)[row]))
            if parts is not None and row < parts.parts.n_rows:
                share = parts.model_share(heard[: t + 1])
                p_parts = float(parts.distribution(heard[: t + 1], 1.0)[row])
                p_model = share * p_model + (1.0 - share) * p_parts
            scores = prior.scores(items[t])
            total = float(scores[prior.available].sum())
            p_prior = float(scores[prior_row]) / total if total > 0 else 0.0
            out.append([p_model, p_prior])
    return out


def fit_share(evidence: Sequence[Sequence[float]], iterations: int = 60) -> float:
    """The prior's share that makes the mixture most likely to have produced real next tracks.

    ``evidence`` holds ``(p_model, p_prior)`` of tracks the listener actually played next, each
    scored before the model trained on that session (prequential, so the model is not flattered
    by data it has seen). EM on the single mixing weight; kept within [0.01, 0.99] so neither
    side is ever shut out.
    """
    pairs = np.asarray(evidence, dtype=np.float64).reshape(-1, 2)
    model, prior = pairs[:, 0], pairs[:, 1]
    share = 0.5
    for _ in range(iterations):
        numerator = share * prior
        denominator = numerator + (1.0 - share) * model
        resp = np.divide(
            numerator, denominator, out=np.full_like(numerator, share), where=denominator > 0
        )
        share = float(resp.mean())
    return min(0.99, max(0.01, share))


class Mixture:
    """``share * prior + (1 - share) * model`` with temperature and nucleus options.

    Attributes:
        prior: The library-structure prior (replaced when the library changes).
        rng: numpy generator of the component choice and of every draw.
        temperature: Divides the log-scores (above 1 flattens, below 1 sharpens).
        top_p: Nucleus cut-off of the model's distribution (None: off).
        never: Tracks the listener said never to play: never drawn.
    """

    def __init__(self, seed: int) -> None:
        self.prior = ColdStartPrior(())
        self.rng = np.random.default_rng(seed)
        self.temperature = 1.0
        self.top_p: float | None = None
        #: The blend's history parts beside the model (small histories; None: the model alone).
        self.parts: RadioParts | None = None
        self.never: frozenset[int] = frozenset()
        self._cache: RadioCache | None = None
        self._masked: tuple[ColdStartPrior, frozenset[int], frozenset[int]] | None = None

    def prepare(self, rec: RadioModel) -> None:
        """Make ``rec`` ready to pick from (its library rows looked up now)."""
        self._radio_cache().library_rows(rec.vocab, self.prior.track_ids)

    def masked_ids(self) -> frozenset[int]:
        """Tracks never drawn: unavailable in the library, or never to be played (one set
        object while neither changes, so its model rows are looked up once)."""
        prior, never = self.prior, self.never
        if self._masked is None or self._masked[0] is not prior or self._masked[1] is not never:
            self._masked = (prior, never, prior.unavailable_ids | never)
        return self._masked[2]

    def _radio_cache(self) -> RadioCache:
        if self._cache is None:
            self._cache = RadioCache()
        return self._cache

    def set_option(self, name: str, value: float) -> bool:
        """Apply ``temperature`` or ``top_p`` (1 = off); False for any other name."""
        if name == "temperature":
            self.temperature = max(0.05, float(value))
        elif name == "top_p":
            self.top_p = float(value) if 0.0 < value < 1.0 else None
        else:
            return False
        return True

    def pick(
        self,
        rec: RadioModel | None,
        state: RadioState | None,
        last: int | None,
        blocked: set[int],
        share: float,
        skips: Sequence[int],
        count: int = 1,
        *,
        variety: np.ndarray | None = None,
        loves: Sequence[int] = (),
    ) -> list[Suggestion]:
        """Up to ``count`` distinct candidates for the next track, most preferred first.

        Each candidate first draws its component (prior or model), then a track from it: an
        exact draw from the mixture without scoring the whole library twice (the model's draw
        alone is the costly part). Candidates after the first are spares for the same slot
        (in case a file is missing): each component is scored once and drawn from without
        replacement. The probability reported is the pick's mass through the component that
        drew it, which is what ``radio --preview`` prints. ``variety``: prior rows kept out
        (:func:`recommender.radio.variety.variety_rows`); ``loves``: tracks just loved (the
        prior favours their artist and album). Each candidate's ``reason`` is the component
        that drew it (``model`` or ``library``), which the plugin puts into words.
        """
        # What leads the pick, told to the listener: no model yet, the library's structure
        # (a young model has the smaller share), or the model.
        source_label = "cold start" if rec is None else ("prior" if share >= 0.5 else "model")
        model: list[tuple[int, float]] | None = None
        parts: list[tuple[int, float]] | None = None
        prior: list[tuple[int, float]] | None = None
        out: list[Suggestion] = []
        taken: set[int] = set()
        prefix = rec.vocab.indices(state.history) if rec is not None and state is not None else []
        model_share = 1.0 if self.parts is None else self.parts.model_share(prefix)
        for _ in range(4 * count):
            if len(out) >= count:
                break
            use_model = share < PRIOR_FLOOR or self.rng.random() >= share
            if rec is not None and state is not None and use_model:
                weight = 1.0 if share < PRIOR_FLOOR else 1.0 - share
                if self.rng.random() < model_share:
                    if model is None:
                        model = self._model_draws(rec, state, blocked, count, variety)
                    source, weight = model, weight * model_share
                else:
                    if parts is None:
                        parts = self._parts_draws(rec, prefix, blocked, count, variety)
                    source, weight = parts, weight * (1.0 - model_share)
            else:
                source, weight = [], 0.0
            if not source:  # no model, or everything it knows is excluded: the prior decides
                if prior is None:
                    prior = self._prior_draws(last, blocked, skips, count, variety, loves)
                source, weight = prior, (share if rec is not None else 1.0)
            while source and source[0][0] in taken:
                source.pop(0)
            if not source:
                continue
            drawn_by = "model" if source is model else "history" if source is parts else "library"
            track_id, p = source.pop(0)
            taken.add(track_id)
            out.append(Suggestion(track_id, weight * p, drawn_by, source_label))
        return out

    def _model_draws(
        self,
        rec: RadioModel,
        state: RadioState,
        blocked: set[int],
        count: int,
        variety: np.ndarray | None,
    ) -> list[tuple[int, float]]:
        cache = self._radio_cache()
        excluded = cache.rows(rec.vocab, self.masked_ids())
        if variety is not None and len(variety):
            rows = cache.library_rows(rec.vocab, self.prior.track_ids)[variety]
            extra = rows[rows > 0]
            excluded = extra if excluded is None else np.concatenate([excluded, extra])
        try:
            draw = next_draw(
                rec,
                state,
                temperature=self.temperature,
                top_p=self.top_p,
                exclude=blocked,
                excluded_rows=excluded,
            )
        except ValueError:  # everything the model knows is excluded
            return []
        track_id = rec.vocab.track_id
        return [(track_id(row), p) for row, p in draw.sample(self.rng, count)]

    def _parts_distribution(
        self,
        rec: RadioModel,
        prefix: Sequence[int],
        blocked: set[int],
        variety: np.ndarray | None = None,
    ) -> np.ndarray:
        """The parts' tempered mix over the model's rows; blocked, missing, never-played tracks
        and the ``variety`` rows (of the prior) left out."""
        assert self.parts is not None
        probs = self.parts.distribution(prefix, self.temperature)
        grown = len(rec.vocab) - len(probs)  # tracks added since the parts were built: none
        if grown > 0:
            probs = np.concatenate([probs, np.zeros(grown)])
        probs[0] = 0.0
        probs[rec.vocab.indices(blocked)] = 0.0
        masked = self._radio_cache().rows(rec.vocab, self.masked_ids())
        if masked is not None:
            probs[masked] = 0.0
        if variety is not None and len(variety):
            rows = self._radio_cache().library_rows(rec.vocab, self.prior.track_ids)[variety]
            probs[rows[rows > 0]] = 0.0
        total = probs.sum()
        return probs / total if total > 0 else probs

    def _parts_draws(
        self,
        rec: RadioModel,
        prefix: Sequence[int],
        blocked: set[int],
        count: int,
        variety: np.ndarray | None,
    ) -> list[tuple[int, float]]:
        probs = self._parts_distribution(rec, prefix, blocked, variety)
        if probs.sum() <= 0:
            return []
        draw = Draw(probs.astype(np.float32))
        track_id = rec.vocab.track_id
        return [(track_id(row), float(p)) for row, p in draw.sample(self.rng, count)]

    def _prior_draws(
        self,
        last: int | None,
        blocked: set[int],
        skips: Sequence[int],
        count: int,
        variety: np.ndarray | None,
        loves: Sequence[int],
    ) -> list[tuple[int, float]]:
        ids, probs = self.prior_distribution(last, blocked, skips, variety, loves)
        if len(ids) == 0:
            return []
        draw = Draw(probs.astype(np.float32))
        return [(int(ids[i]), float(probs[i])) for i, _ in draw.sample(self.rng, count)]

    def prior_distribution(
        self,
        last: int | None,
        blocked: set[int],
        skips: Sequence[int],
        variety: np.ndarray | None = None,
        loves: Sequence[int] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """The tempered prior over allowed tracks: ``(track_ids, probabilities)``."""
        mask = self.prior.mask(blocked)
        if self.never:
            mask &= self.prior.mask(self.never)
        if variety is not None and len(variety):
            mask[variety] = False
        scores = np.where(mask, self.prior.scores(last, avoid=skips, favour=loves), 0.0)
        if self.temperature != 1.0:  # in float32: 2.5x faster than float64, 1e-7 relative error
            power = np.float32(1.0 / self.temperature)
            scores = np.power(scores.astype(np.float32), power).astype(np.float64)
        keep = scores > 0
        total = scores.sum()
        if total <= 0:
            return self.prior.track_ids[:0], scores[:0]
        return self.prior.track_ids[keep], scores[keep] / total

    def distribution(
        self,
        rec: RadioModel | None,
        state: RadioState | None,
        last: int | None,
        blocked: set[int],
        share: float,
        skips: Sequence[int],
        loves: Sequence[int] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """The whole mixed distribution (tests and previews; radio draws with :meth:`pick`)."""
        blocked = blocked | self.never
        ids, probs = self.prior_distribution(last, blocked, skips, loves=loves)
        mixed = np.zeros(len(self.prior), dtype=np.float64)
        mixed[self.prior.rows_of(ids)] = share * probs
        if rec is not None and state is not None and share < 1.0:
            try:
                model_ids, model_probs = distribution(
                    rec, state, temperature=self.temperature, top_p=self.top_p, exclude=blocked
                )
            except ValueError:
                model_ids, model_probs = np.zeros(0, dtype=np.int64), np.zeros(0)
            model_share = 1.0
            if self.parts is not None:
                prefix = rec.vocab.indices(state.history)
                model_share = self.parts.model_share(prefix)
                parts = self._parts_distribution(rec, prefix, blocked)
                self._add(
                    mixed,
                    rec.vocab.ids_array()[1:],
                    parts[1:],
                    blocked,
                    (1.0 - share) * (1.0 - model_share),
                )
            self._add(
                mixed,
                np.asarray(model_ids),
                np.asarray(model_probs, dtype=np.float64),
                blocked,
                (1.0 - share) * model_share,
            )
        keep = mixed > 0
        if not keep.any():
            return self.prior.track_ids[:0], mixed[:0]
        return self.prior.track_ids[keep], mixed[keep] / mixed[keep].sum()

    def _add(
        self,
        mixed: np.ndarray,
        ids: np.ndarray,
        probs: np.ndarray,
        blocked: set[int],
        weight: float,
    ) -> None:
        """Add ``weight`` times ``probs`` (over ``ids``, renormalised to what may be picked)."""
        rows = self.prior.rows_of(ids)
        ok = rows >= 0
        ok[ok] &= self.prior.mask(blocked)[rows[ok]]
        mass = probs[ok]
        if mass.sum() > 0:
            mixed[rows[ok]] += weight * mass / mass.sum()
