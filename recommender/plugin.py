"""The recommender as a Segue plugin: carries radio's hidden state, suggests, learns per session.

How listening enters training (the feedback loop), decided in
:func:`recommender.sessions.session_from_plays` and used unchanged here:

* failed plays are dropped (a broken file says nothing about taste);
* a skip before half of the track is dropped from the sequence (neither input nor target), the
  same rule radio inference follows: an early skip never steps the hidden state, it only pushes
  the next distribution away from the skipped track (:meth:`Recommender.advance`);
* a late skip stays in the sequence with target weight 0.5 (and steps the state, as heard);
* a finished track that *radio* chose is a target with weight 0.7, a user's own choice 1.0:
  radio's picks are the model's own guesses, so confirming them at full weight would let the
  model talk itself into a narrow loop; a user's pick is independent evidence.

Day one (no history) radio follows :class:`recommender.coldstart.ColdStartPrior`; a first model
is trained after three sessions and its distribution is mixed with the prior. The prior's share
first fades with the sessions learned (``prior_weight``), then is fitted by EM to how well each
side predicted the listener's real next tracks, each scored before the model learned its session
(:func:`recommender.mixture.fit_share`): an album-in-order listener keeps the structure, one with
habits of their own hands over to the model. When a session closes the plugin fine-tunes a
*copy* of the model (with replay of older sessions), or refits from scratch while a young
history doubles, then swaps it in and writes a checkpoint: a failed or cancelled training leaves
the live model untouched.

torch is imported lazily (in :meth:`RecommenderPlugin.load`, on the plugin host's worker
thread): importing this module must stay cheap and must not pull torch, Qt or SQLAlchemy into
the player's GUI thread at start-up.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from player.plugin_api import (
    LibraryChanged,
    Outcome,
    Plugin,
    PluginContext,
    ProgressCallback,
    SessionClosed,
    SessionRecord,
    StopCheck,
    Suggestion,
    TrackEnded,
    TrackStarted,
)
from recommender.coldstart import ColdStartPrior, prior_weight
from recommender.mixture import Mixture, evidence, fit_share
from recommender.plugin_state import EVIDENCE_LENGTH, RadioMemory, load_memory, save_memory
from recommender.plugin_training import Report, fine_tuned, fitted, progress_adapter
from recommender.radio_states import AdvanceMemo, replayed_state, restored_state
from recommender.sessions import EARLY_SKIP_FRACTION, TrainingSession, session_from_plays

if TYPE_CHECKING:
    from recommender.radio import RadioState
    from recommender.recommender import Recommender

log = logging.getLogger(__name__)

STATE_FILE = "radio_state.json"
#: Real sessions (of two plays or more) needed before a first model is trained.
MIN_SESSIONS_FOR_MODEL = 3
RECENT_WINDOW = 50
#: Histories up to this many sessions are refitted from scratch each time they double.
REFIT_LIMIT = 2000
#: Next-track observations needed before the prior's share is fitted instead of fading.
MIN_EVIDENCE = 40


class RecommenderPlugin(Plugin):
    """Segue's recommender plugin (entry point ``recommender.plugin:RecommenderPlugin``).

    Args:
        config_overrides: ModelConfig fields forced on every training (tests use tiny models).
        seed: Seed of the sampling generators (None: from the system's entropy).
        auto_train: Train at load when history exists but no model does, and catch up on
            sessions closed while the plugin was not running (the CLI turns it off).
    """

    name = "recommender"

    def __init__(
        self,
        *,
        config_overrides: Mapping[str, Any] | None = None,
        seed: int | None = None,
        auto_train: bool = True,
    ) -> None:
        self._overrides = dict(config_overrides or {})
        self._auto_train = auto_train
        self._seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        self._mix = Mixture(self._seed)
        self._context: PluginContext | None = None
        self._rec: Recommender | None = None
        self._state: RadioState | None = None
        self._before: tuple[RadioState | None, int | None] = (None, None)
        self._memory = RadioMemory()
        self._fitted_share: float | None = None
        self._history: list[TrainingSession] = []
        self._memo = AdvanceMemo()

    # ---- life cycle -------------------------------------------------------------------------

    @property
    def models_dir(self) -> Path:
        """Where the checkpoint lives."""
        return self._ctx.data_dir / "models"

    @property
    def model(self) -> Recommender | None:
        """The live model (None before the first training)."""
        return self._rec

    @property
    def radio_state(self) -> RadioState | None:
        """The carried hidden state (None without a model)."""
        return self._state

    @property
    def memory(self) -> RadioMemory:
        """Last track, recent window and skips (kept with or without a model)."""
        return self._memory

    def load(self, context: PluginContext) -> None:
        """Load the checkpoint (or start cold), restore radio's state, catch up on history."""
        import torch  # lazy: only here, on the host's worker thread (see module docstring)

        self._context = context
        self._mix.torch_generator = torch.Generator().manual_seed(self._seed)
        self._apply_settings(context.settings)
        self._mix.prior = ColdStartPrior(list(context.load_library()))
        self._history = self._convert(context.load_sessions())
        self._rec = self._load_checkpoint()
        self._memory = load_memory(context.data_dir / STATE_FILE)
        self._refit()
        if self._rec is None:
            if self._auto_train and self._trainable(self._history):
                self._train_full(self._history, None, None)
        else:
            self._rec.add_tracks(int(t) for t in self._mix.prior.track_ids)
            seen = int(self._rec.cursor.get("sessions_seen", 0))
            if self._auto_train and len(self._history) > seen:  # closed while we were away
                self._observe(self._history[seen:])
                self._update(self._history[seen:], None, None)
        self._state = self._restore_state()
        if self._rec is not None:
            self._rec.prepare_radio()
        log.info(
            "recommender plugin loaded: %s, %d tracks, %d sessions",
            "model" if self._rec is not None else "cold start",
            len(self._mix.prior),
            len(self._history),
        )

    def save_state(self) -> None:
        """Write the hidden state and the recent window (JSON, atomic)."""
        self._memory.state = self._state.to_dict() if self._state is not None else None
        save_memory(self._ctx.data_dir / STATE_FILE, self._memory)

    # ---- events -----------------------------------------------------------------------------

    def on_track_started(self, event: TrackStarted) -> None:
        """Every track that plays advances the state (user picks too, not only radio's)."""
        self._before = (self._state, self._memory.last_track)
        self._step(event.track_id)

    def on_track_ended(self, event: TrackEnded) -> None:
        """A failure undoes the step; an early skip replaces it with skip feedback at once."""
        if event.track_id != self._memory.last_track or event.outcome is Outcome.FINISHED:
            return
        state, last = self._before
        if event.outcome is Outcome.FAILED:
            self._state, self._memory.last_track = state, last
            self._memory.forget_last(event.track_id)
            return
        fraction = event.played_ms / event.duration_ms if event.duration_ms else 0.0
        if fraction >= EARLY_SKIP_FRACTION:
            return  # a late skip counts as heard, as in training
        self._memory.forget_last(event.track_id)
        self._memory.add_skip(event.track_id)
        self._memory.last_track = last
        if self._rec is not None and state is not None:
            self._state = self._rec.advance(
                state, event.track_id, skipped=True, played_fraction=fraction
            )

    def on_session_closed(self, event: SessionClosed) -> None:
        """Learn from the session that just closed (in place of the live model when done)."""
        new = self._convert([event.session])
        if not new:
            return
        self._history.extend(new)
        if self._rec is None:
            if self._trainable(self._history):
                self._train_full(self._history, None, None)
            return
        self._observe(new)  # before learning it: an honest test of model vs prior
        full_at = int(self._rec.cursor.get("full_at", 0))
        if full_at and len(self._history) >= 2 * full_at and len(self._history) <= REFIT_LIMIT:
            # A young history doubled since the last full fit: refit from scratch (geometric, so
            # the total cost stays linear); fine-tuning alone learns a small history slowly.
            self._train_full(self._history, None, None)
        else:
            self._update(new, None, None)

    def on_library_changed(self, event: LibraryChanged) -> None:
        """New tracks join the prior and the model's vocabulary (old knowledge kept)."""
        self._mix.prior = ColdStartPrior(list(event.tracks))
        if self._rec is not None:
            self._rec.add_tracks(int(t) for t in self._mix.prior.track_ids)

    def set_option(self, name: str, value: float) -> None:
        """``temperature``, ``top_p`` (1 = off), or ``seed_track`` (radio starts from it)."""
        if self._mix.set_option(name, value):
            return
        if name == "seed_track" and int(value) != self._memory.last_track:
            self._step(int(value))

    # ---- suggestions ------------------------------------------------------------------------

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = ()
    ) -> list[Suggestion]:
        """Draw ``n`` tracks, each as if the previous ones (and ``after``) were heard to the end."""
        return [group[0] for group in self.candidates(n, exclude, after=after)]

    def candidates(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        """``n`` slots, each its pick then up to ``spares`` alternatives for a missing file.

        A slot's alternatives are drawn from the same distribution as its pick, without
        replacement; each slot is drawn as if ``after`` and the earlier slots' picks were heard.
        """
        state, last = self._state, self._memory.last_track
        for track_id in after:
            state, last = self._advanced(state, track_id), track_id
        blocked = set(exclude)
        share, skips = self.prior_share(), self._memory.skips
        out: list[list[Suggestion]] = []
        for i in range(n):
            group = self._mix.pick(self._rec, state, last, blocked, share, skips, 1 + spares)
            if not group:
                break
            out.append(group)
            blocked.add(group[0].track_id)
            if i + 1 < n:
                state, last = self._advanced(state, group[0].track_id), group[0].track_id
        return out

    def distribution(self, exclude: frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        """The next-track distribution now: ``(track_ids, probabilities)`` (tests, preview)."""
        return self._mix.distribution(
            self._rec,
            self._state,
            self._memory.last_track,
            set(exclude),
            self.prior_share(),
            self._memory.skips,
        )

    def prior_share(self) -> float:
        """Share of the cold-start prior in the current mix (1.0 without a model).

        Fitted to how well each side predicted the listener's real next tracks once there is
        enough evidence; before that, a half-life in the sessions the model learned from.
        """
        if self._rec is None:
            return 1.0
        if self._fitted_share is not None:
            return self._fitted_share
        return prior_weight(int(self._rec.cursor.get("sessions_seen", 0)))

    def _observe(self, sessions: Sequence[TrainingSession]) -> None:
        """Score sessions the model has not learned yet under both sides of the mix."""
        if self._rec is None:
            return
        self._memory.evidence.extend(evidence(self._rec, self._mix.prior, sessions))
        del self._memory.evidence[:-EVIDENCE_LENGTH]
        self._refit()

    def _refit(self) -> None:
        evidence = self._memory.evidence
        self._fitted_share = fit_share(evidence) if len(evidence) >= MIN_EVIDENCE else None

    # ---- training ---------------------------------------------------------------------------

    def train(
        self,
        sessions: Sequence[SessionRecord],
        *,
        full: bool,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> None:
        """Retrain from ``sessions`` (all history when ``full``; else only unseen sessions)."""
        converted = self._convert(sessions)
        self._history = converted if full else self._history
        report = progress_adapter(progress)
        if full or self._rec is None:
            if converted:
                self._train_full(converted, report, should_stop)
            return
        seen = int(self._rec.cursor.get("sessions_seen", 0))
        if len(converted) > seen:
            self._history = converted
            self._update(converted[seen:], report, should_stop)

    def _train_full(
        self, sessions: Sequence[TrainingSession], progress: Report | None, stop: StopCheck | None
    ) -> None:
        library = (int(t) for t in self._mix.prior.track_ids)
        rec = fitted(sessions, self._overrides, library, progress, stop)
        if rec is not None:
            self._swap(rec)

    def _update(
        self, new: Sequence[TrainingSession], progress: Report | None, stop: StopCheck | None
    ) -> None:
        assert self._rec is not None
        rec = fine_tuned(self._rec, new, self._history, self._mix.rng, progress, stop)
        if rec is not None:
            self._swap(rec, keep_state=True)

    def _swap(self, rec: Recommender, *, keep_state: bool = False) -> None:
        """Make ``rec`` the live model and checkpoint it.

        A fine-tuned model keeps the carried hidden state (same shape, nearby weights), so radio
        goes on where it was; a retrained one gets a state rebuilt from the recent window.
        """
        rec.prepare_radio()  # radio's int8 copy of V, built here rather than at the next pick
        self._rec = rec  # one reference assignment: suggestions see old or new, never half
        state = self._state
        if not (keep_state and state is not None and len(state.hidden) == rec.model.state_size):
            self._state = self._replayed_state()
        try:
            rec.save(self.models_dir)
        except OSError:
            log.exception("could not write the checkpoint to %s", self.models_dir)

    # ---- helpers ----------------------------------------------------------------------------

    @property
    def _ctx(self) -> PluginContext:
        if self._context is None:
            raise RuntimeError("the plugin is not loaded")
        return self._context

    def _apply_settings(self, settings: Mapping[str, float]) -> None:
        for key in ("temperature", "top_p"):
            if key in settings:
                self.set_option(key, settings[key])

    def _convert(self, sessions: Sequence[SessionRecord]) -> list[TrainingSession]:
        out = []
        for session in sessions:
            ts = session_from_plays(session.plays)
            if len(ts.items) >= 2:
                out.append(ts)
        return out

    def _trainable(self, sessions: Sequence[TrainingSession]) -> bool:
        return len(sessions) >= MIN_SESSIONS_FOR_MODEL

    def _step(self, track_id: int) -> None:
        self._state = self._advanced(self._state, track_id)
        self._memory.heard(track_id)

    def _advanced(self, state: RadioState | None, track_id: int) -> RadioState | None:
        if self._rec is None or state is None:
            return state
        return self._memo.advance(self._rec, state, track_id)

    def _replayed_state(self) -> RadioState | None:
        return None if self._rec is None else replayed_state(self._rec, self._memory.recent)

    def _restore_state(self) -> RadioState | None:
        if self._rec is None:
            return None
        return restored_state(self._rec, self._memory.state, self._memory.recent)

    def _load_checkpoint(self) -> Recommender | None:
        from recommender.recommender import load_or_none  # lazy: pulls torch with it

        if not self.models_dir.is_dir() or not any(self.models_dir.iterdir()):
            return None  # no checkpoint yet (the player creates the empty folder up front)
        return load_or_none(self.models_dir)
