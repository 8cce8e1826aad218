"""The recommender as a Segue plugin: carries radio's hidden state, suggests, learns per session.

How listening enters training (the feedback loop), decided in
:func:`recommender.sessions.session_from_plays` and used unchanged here:

* failed plays are dropped (a broken file says nothing about taste);
* a skip before half of the track is dropped from the sequence (neither input nor target), the
  same rule radio inference follows: an early skip never steps the hidden state, it only pushes
  the next distribution away from the skipped track (:func:`recommender.radio.state.advance`);
* a late skip stays in the sequence with target weight 0.5 (and steps the state, as heard);
* a finished track that *radio* chose is a target with weight 0.7, a user's own choice 1.0:
  radio's picks are the model's own guesses, so confirming them at full weight would let the
  model talk itself into a narrow loop; a user's pick is independent evidence;
* a track the listener loves is a target with weight 2.0 (and a love pulls the next picks
  toward it at once); a never-play track is never drawn (:mod:`recommender.radio.steer`).

Day one (no history) radio follows :class:`recommender.radio.prior.ColdStartPrior`; a first model
is trained after three sessions and its distribution is mixed with the prior. The prior's share
first fades with the sessions learned (``prior_weight``), then is fitted by EM to how well each
side predicted the listener's real next tracks, each scored before the model learned its session
(:func:`recommender.radio.mixture.fit_share`): an album-in-order listener keeps the structure,
one with habits of their own hands over to the model.

Learning is started from the host's training thread (``on_session_closed``, ``train``) and
runs in a child process (:mod:`recommender.learn_process`), picks on the event thread. A closed
session fine-tunes the checkpointed model (with replay of older sessions), or a young history
that doubled is refitted from scratch; the child writes the new checkpoint, which is read back
and swapped in under :attr:`RecommenderPlugin._lock` (held only for that swap and for each event
or pick, never while training): a failed or cancelled training leaves the live model untouched,
and a pick never waits for training.

Radio reads the model in numpy (:class:`recommender.radio.engine.RadioModel`): the player's
process never imports torch, which alone costs about 200 MB of memory.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from player.plugin_api import (
    Feedback,
    LibraryChanged,
    Outcome,
    Plugin,
    PluginContext,
    ProgressCallback,
    SessionClosed,
    SessionRecord,
    Suggestion,
    TrackEnded,
    TrackStarted,
    TrainResult,
)
from recommender.checkpoint import CheckpointError, NewerCheckpointError, load_or_none
from recommender.learn_process import LearnJob, learn_in_child
from recommender.learning import Report, progress_adapter
from recommender.parts import COMPONENTS, CONTEXTS, RadioParts, history_parts, use_blend
from recommender.radio.engine import RadioModel
from recommender.radio.memory import EVIDENCE_LENGTH, RadioMemory, load_memory, save_memory
from recommender.radio.mixture import Mixture, evidence, fit_share
from recommender.radio.prior import ColdStartPrior, prior_weight
from recommender.radio.state import AdvanceMemo, advance, loved, replayed_state, restored_state
from recommender.radio.steer import LOVE_PULL, Picking, Steering
from recommender.radio.variety import learned_spacing
from recommender.sessions import EARLY_SKIP_FRACTION, TrainingSession, session_from_plays
from recommender.tags import Tagged

if TYPE_CHECKING:
    from recommender.radio.state import RadioState

log = logging.getLogger(__name__)

STATE_FILE = "radio_state.json"
#: Real sessions (of two plays or more) needed before a model is trained, by the app (first
#: model, Retrain) and by ``segue-recommender train`` alike (see :func:`too_few_sessions`).
MIN_SESSIONS_FOR_MODEL = 3
#: Histories up to this many sessions are refitted from scratch each time they double.
REFIT_LIMIT = 2000
#: Next-track observations needed before the prior's share is fitted instead of fading.
MIN_EVIDENCE = 40


def too_few_sessions(count: int) -> str | None:
    """Why ``count`` learnable sessions are not enough to train on, in plain words (None: they
    are). A learnable session has two plays or more, failed plays and early skips left out."""
    if count >= MIN_SESSIONS_FOR_MODEL:
        return None
    return (
        f"radio needs at least {MIN_SESSIONS_FOR_MODEL} listening sessions of two or more "
        f"tracks to learn from; you have {count}"
    )


def learning_label(count: int) -> str:
    """The progress line of a training on ``count`` sessions."""
    return f"Learning from {count:,} listening {'session' if count == 1 else 'sessions'}"


class RecommenderPlugin(Plugin):
    """Segue's recommender plugin (entry point ``recommender.plugin:RecommenderPlugin``).

    Args:
        config_overrides: ModelConfig fields forced on every training (tests use tiny models).
        seed: Seed of the sampling generators (None: from the system's entropy).
    """

    name = "recommender"
    suggests = True

    def __init__(
        self, *, config_overrides: Mapping[str, Any] | None = None, seed: int | None = None
    ) -> None:
        self._overrides = dict(config_overrides or {})
        self._seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        self._mix = Mixture(self._seed)
        self._train_rng = np.random.default_rng(self._seed + 1)  # seeds of the learning jobs
        # Guards the live model, the carried state and the memory between the event thread
        # (events, picks) and the training thread's swap; never held while training.
        self._lock = threading.Lock()
        self._context: PluginContext | None = None
        self._rec: RadioModel | None = None
        self._state: RadioState | None = None
        self._before: tuple[RadioState | None, int | None] = (None, None)
        self._memory = RadioMemory()
        self._fitted_share: float | None = None
        self._history: list[TrainingSession] = []
        self._tags: Mapping[int, Tagged] = {}  # the library's records, by track id
        self._memo = AdvanceMemo()
        self._steer = Steering()
        self._records: list[SessionRecord] = []  # every closed session (for the steering)
        self._seeded: int | None = None  # the seed's track about to play (already stepped)
        #: The time, for reasons such as "whom you played this morning" (tests set it).
        self.clock = time.time
        self._keep_checkpoint = False  # a newer Segue's checkpoint is in the folder
        #: What could not be written (a full disk): logged, and told by the command line.
        self.write_errors: list[str] = []
        self._failure: str | None = None  # why the last learning did not finish

    # ---- life cycle -------------------------------------------------------------------------

    @property
    def models_dir(self) -> Path:
        """Where the checkpoint lives."""
        return self._ctx.data_dir / "models"

    @property
    def model(self) -> RadioModel | None:
        """The live model (None before the first training)."""
        return self._rec

    @property
    def radio_state(self) -> RadioState | None:
        """The carried hidden state (None without a model)."""
        return self._state

    @property
    def tags(self) -> Mapping[int, Tagged]:
        """The library's tags by track id, as the model is given them."""
        return self._tags

    @property
    def radio_parts(self) -> RadioParts | None:
        """The blend's history parts radio draws from beside the model (None: model alone)."""
        return self._mix.parts

    @property
    def memory(self) -> RadioMemory:
        """Last track, recent window and skips (kept with or without a model)."""
        return self._memory

    def load(self, context: PluginContext) -> None:
        """Load the checkpoint (or start cold) and restore radio's state; no training here
        (the host's first training job catches up, see :meth:`train`)."""
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")  # see pyproject.toml
        self._context = context
        library = list(context.load_library())
        self._mix.prior = ColdStartPrior(library)
        self._tags = self._mix.prior.tags()
        self._apply_settings(context.settings)
        self._steer.load(context.load_feedback())
        self._mix.never = self._steer.never
        self._rec = self._load_checkpoint()
        self._memory = load_memory(context.data_dir / STATE_FILE)
        self._refit()
        if self._rec is not None:
            self._rec.add_tracks(self._mix.prior.track_ids)
            self._mix.prepare(self._rec)
        self._state = self._restore_state()
        log.info(
            "recommender plugin loaded: %s, %d tracks",
            "model" if self._rec is not None else "cold start",
            len(self._mix.prior),
        )

    def save_state(self) -> None:
        """Write the hidden state and the recent window (JSON, atomic)."""
        path = self._ctx.data_dir / STATE_FILE
        with self._lock:
            self._memory.state = self._state.to_dict() if self._state is not None else None
            try:
                save_memory(path, self._memory)
            except OSError as exc:
                self.write_errors.append(f"could not write radio's state to {path}: {exc}")
                log.error("%s", self.write_errors[-1])

    # ---- events -----------------------------------------------------------------------------

    def on_track_started(self, event: TrackStarted) -> None:
        """Every track that plays advances the state (user picks too, not only radio's)."""
        with self._lock:
            info = self._mix.prior.info(event.track_id)
            self._steer.index.heard(event.track_id, info, event.timestamp)
            seeded, self._seeded = self._seeded, None
            if event.track_id == self._memory.last_track and (event.resumed or seeded):
                # the state saved at quit, or the seed (:meth:`start_from`), has heard it
                self._before = (self._state, self._memory.last_track)
                return
            self._before = (self._state, self._memory.last_track)
            self._step(event.track_id)

    def on_track_ended(self, event: TrackEnded) -> None:
        """A failure undoes the step; an early skip replaces it with skip feedback at once."""
        with self._lock:
            self._track_ended(event)

    def _track_ended(self, event: TrackEnded) -> None:
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
            self._state = advance(
                self._rec, state, event.track_id, skipped=True, played_fraction=fraction
            )

    def on_library_changed(self, event: LibraryChanged) -> None:
        """New tracks join the prior and the model's vocabulary (old knowledge kept)."""
        prior = ColdStartPrior(list(event.tracks))
        tags = prior.tags()
        with self._lock:
            self._mix.prior = prior
            self._tags = tags
            if self._rec is not None:
                self._rec.add_tracks(prior.track_ids)

    def on_feedback(self, event: Feedback) -> None:
        """Never-play masks the track at once; a love pulls the next picks toward it."""
        with self._lock:
            nudge = self._steer.apply(event)
            self._mix.never = self._steer.never
            if nudge and self._rec is not None and self._state is not None:
                self._state = loved(self._rec, self._state, event.track_id, LOVE_PULL)

    def set_option(self, name: str, value: float) -> None:
        """``temperature``, ``top_p`` (1 = off), ``artist_spacing`` / ``album_spacing``
        (-1: learned), or ``seed_track`` (radio starts from it)."""
        with self._lock:
            if self._mix.set_option(name, value) or self._steer.set_option(name, value):
                return
            if name == "seed_track" and int(value) != self._memory.last_track:
                self._step(int(value))

    def start_from(self, track_ids: Sequence[int]) -> None:
        """Radio starts from these tracks: each steps the state as if heard (a track the model
        has never seen leaves it to the library's structure around it); the last one is about
        to play and is not stepped a second time when it starts."""
        with self._lock:
            for track_id in track_ids:
                self._step(track_id)
            self._seeded = track_ids[-1] if track_ids else None

    # ---- suggestions ------------------------------------------------------------------------

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        """``n`` slots, each its pick then up to ``spares`` alternatives for a missing file.

        A slot's alternatives are drawn from the same distribution as its pick, without
        replacement; each slot is drawn as if ``after`` and the earlier slots' picks were heard.
        """
        with self._lock:
            rec, state, last = self._rec, self._state, self._memory.last_track
            for track_id in after:
                state, last = self._advanced(state, track_id), track_id
            draw = Picking(self._mix, rec, self.prior_share(), self._memory.skips, self.clock())
            heard = [*self._memory.recent, *after]
            return self._steer.slots(
                draw, state, last, heard, set(exclude), n, 1 + spares, self._advanced
            )

    def distribution(self, exclude: frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        """The next-track distribution now: ``(track_ids, probabilities)`` (tests, preview)."""
        with self._lock:
            return self._mix.distribution(
                self._rec,
                self._state,
                self._memory.last_track,
                set(exclude),
                self.prior_share(),
                self._memory.skips,
                self._steer.loves(),
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

    def _observe(self, rec: RadioModel, sessions: Sequence[TrainingSession]) -> None:
        """Score sessions ``rec`` has not learned yet under both sides of the mix."""
        self._memory.evidence.extend(evidence(rec, self._mix.prior, sessions, self._mix.parts))
        del self._memory.evidence[:-EVIDENCE_LENGTH]
        self._refit()

    def _refit(self) -> None:
        evidence = self._memory.evidence
        self._fitted_share = fit_share(evidence) if len(evidence) >= MIN_EVIDENCE else None

    # ---- learning (the training thread) -------------------------------------------------------

    def on_session_closed(self, event: SessionClosed) -> None:
        """Learn from the session that just closed; the new model is swapped in when done."""
        with self._lock:
            self._records.append(event.session)
            self._steer.index.add([event.session], self._mix.prior.info)
        self._relearn_spacing()
        new = self._convert([event.session])
        if new:
            self._history.extend(new)
            self._learn(new, None, may_refit=True)

    def train(
        self,
        sessions: Sequence[SessionRecord],
        *,
        full: bool,
        progress: ProgressCallback | None = None,
    ) -> TrainResult:
        """Learn ``sessions`` (every closed one): from scratch when ``full``, else catch up.

        Catching up learns the sessions the model has not seen, or trains a first model once
        there are :data:`MIN_SESSIONS_FOR_MODEL` sessions; a full training needs as many.
        """
        self._failure = None
        converted = self._convert(sessions)
        self._history = converted
        steer = Steering()  # the index and spacing rebuilt off the lock, swapped in under it
        steer.learn(self._mix.prior, sessions)
        with self._lock:
            self._records = list(sessions)
            steer.index.keep_live(self._steer.index)
            self._steer.index, self._steer.learned = steer.index, steer.learned
        count = len(converted)
        if (short := too_few_sessions(count)) is not None and (full or self._rec is None):
            return TrainResult(False, short, count)
        report = progress_adapter(progress, learning_label(count))
        if full:
            trained = self._train_full(converted, report)
        else:
            seen = int(self._rec.cursor.get("sessions_seen", 0)) if self._rec is not None else 0
            if count <= seen:
                if self._rec is not None:  # nothing new: the loaded model gets its parts now
                    parts = self._radio_parts(self._rec)
                    with self._lock:
                        self._mix.parts = parts
                return TrainResult(False, "nothing new to learn", count)
            trained = self._learn(converted[seen:], report, may_refit=False)
        if not trained:
            return TrainResult(False, self._failure or "cancelled", count)
        return TrainResult(True, f"Radio learned from {count:,} listening sessions.", count)

    def _learn(
        self, new: Sequence[TrainingSession], progress: Report | None, *, may_refit: bool
    ) -> bool:
        """Learn ``new``, the last sessions of :attr:`_history`: a first model once there are
        enough sessions, else a fine-tuned live one (or, when ``may_refit`` and a young history
        doubled since its last full fit, a refit from scratch). False when nothing was swapped
        in (too few sessions, cancelled, or the learning failed)."""
        live = self._rec
        if live is None:
            if too_few_sessions(len(self._history)) is None:
                return self._train_full(self._history, progress)
            return False
        self._observe(live, new)  # before learning them: an honest test of model vs prior
        full_at = int(live.cursor.get("full_at", 0))
        young = full_at and 2 * full_at <= len(self._history) <= REFIT_LIMIT
        if may_refit and young:
            # Refits are geometric, so the total cost stays linear; fine-tuning alone learns a
            # small history slowly.
            return self._train_full(self._history, progress)
        return self._run("update", new, progress)

    def _train_full(self, sessions: Sequence[TrainingSession], progress: Report | None) -> bool:
        return self._run("full", sessions, progress)

    def _run(self, kind: str, new: Sequence[TrainingSession], progress: Report | None) -> bool:
        """Learn in a child process (``full``: from scratch on :attr:`_history`; ``update``:
        the checkpoint fine-tuned on ``new``), then read its checkpoint and swap it in."""
        job = LearnJob(
            kind=kind,
            checkpoint_dir=self._learn_dir,
            out_dir=self._learn_dir,
            sessions=list(self._history),
            new_count=len(new) if kind == "update" else 0,
            overrides=self._overrides,
            tags=self._tags,
            library=[int(t) for t in self._mix.prior.track_ids],
            seed=int(self._train_rng.integers(2**31 - 1)),
        )
        outcome = learn_in_child(job, progress, self._ctx.should_stop)
        if not outcome.learned:
            if outcome.message != "cancelled":
                self.write_errors.append(outcome.message)
                log.error("learning failed: %s", outcome.message)
            self._failure = outcome.message
            return False
        try:
            rec = RadioModel.load(self._learn_dir)
        except CheckpointError as exc:
            self.write_errors.append(f"could not read the model just learned: {exc}")
            log.error("%s", self.write_errors[-1])
            return False
        self._swap(rec, keep_state=kind == "update")
        return True

    @property
    def _learn_dir(self) -> Path:
        """Where learning reads and writes the model: the models folder, or a folder of this
        Segue's own while the models folder holds a newer Segue's checkpoint (left untouched)."""
        if self._keep_checkpoint:
            return self._ctx.data_dir / "models.older-format"
        return self.models_dir

    def _swap(self, rec: RadioModel, *, keep_state: bool = False) -> None:
        """Make ``rec`` the live model.

        A fine-tuned model keeps the carried hidden state (same shape, nearby weights), so radio
        goes on where it was; a retrained one gets a state rebuilt from the recent window.
        Everything slow happens before the lock: the vocabulary grown to the library, so the
        next pick is as fast as any other.
        """
        prior = self._mix.prior
        rec.add_tracks(prior.track_ids)
        self._mix.prepare(rec)
        parts = self._radio_parts(rec)
        with self._lock:
            if self._mix.prior is not prior:  # the library changed meanwhile
                rec.add_tracks(self._mix.prior.track_ids)
                self._mix.prepare(rec)
                parts = self._radio_parts(rec)
            self._mix.parts = parts
            state = self._state
            fits = state is not None and len(state.hidden) == rec.state_size
            if not (keep_state and fits):
                self._state = replayed_state(rec, self._memory.recent)
            self._rec = rec

    # ---- helpers ----------------------------------------------------------------------------

    def _radio_parts(self, rec: RadioModel) -> RadioParts | None:
        """The blend's parts of the history over ``rec``'s rows, when ``rec`` was fitted as a
        blend (its weights are in its cursor) and the history is still small enough."""
        weights = rec.cursor.get("blend_weights")
        if weights is None or not use_blend(len(self._history)):
            return None
        try:
            fitted = np.asarray(weights, dtype=np.float64)
            if fitted.shape != (len(CONTEXTS), len(COMPONENTS)):
                raise ValueError(f"weights of shape {fitted.shape}")
        except (ValueError, TypeError) as exc:  # a damaged or foreign checkpoint: model alone
            log.warning("blend weights unusable (%s); radio uses the model alone", exc)
            return None
        return RadioParts(history_parts(rec.vocab, self._history, self._tags), fitted)

    @property
    def _ctx(self) -> PluginContext:
        if self._context is None:
            raise RuntimeError("the plugin is not loaded")
        return self._context

    def _apply_settings(self, settings: Mapping[str, float]) -> None:
        for key in ("temperature", "top_p", "artist_spacing", "album_spacing"):
            if key in settings:
                self.set_option(key, settings[key])

    def _relearn_spacing(self) -> None:
        spacing = learned_spacing(self._mix.prior, self._records)
        with self._lock:
            self._steer.learned = spacing

    def _convert(self, sessions: Sequence[SessionRecord]) -> list[TrainingSession]:
        out = []
        loved = self._steer.loved
        for session in sessions:
            ts = session_from_plays(session.plays, loved)
            if len(ts.items) >= 2:
                out.append(ts)
        return out

    def _step(self, track_id: int) -> None:
        self._state = self._advanced(self._state, track_id)
        self._memory.heard(track_id)
        self._steer.heard()

    def _advanced(self, state: RadioState | None, track_id: int) -> RadioState | None:
        if self._rec is None or state is None:
            return state
        return self._memo.advance(self._rec, state, track_id)

    def _restore_state(self) -> RadioState | None:
        if self._rec is None:
            return None
        return restored_state(self._rec, self._memory.state, self._memory.recent)

    def _load_checkpoint(self) -> RadioModel | None:
        try:
            return load_or_none(self.models_dir, RadioModel.load)
        except NewerCheckpointError as exc:
            log.warning("%s", exc)
            self._keep_checkpoint = True  # learning keeps this Segue's model beside it
            return load_or_none(self._learn_dir, RadioModel.load)
