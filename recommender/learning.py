"""How the plugin learns: a model fitted from scratch, or a fine-tuned copy with replayed sessions.

Both work on a model that is not live (a new one, or a copy of the live one) and report a
cancelled training, so a failed or cancelled training always leaves the live model untouched;
the plugin swaps the result in. They run on the plugin's training thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from player.plugin_api import ProgressCallback, StopCheck, TrainProgress
from recommender.sessions import TrainingSession
from recommender.tags import Tagged

if TYPE_CHECKING:
    from recommender.recommender import Recommender

log = logging.getLogger(__name__)

#: Fewest older sessions replayed with an incremental update (keeps old knowledge); more when
#: several sessions close at once (``config.update_replay`` per new session).
REPLAY_SESSIONS = 32

Report = Callable[[int, int, str], None]


def fitted(
    sessions: Sequence[TrainingSession],
    overrides: Mapping[str, Any],
    progress: Report | None,
    should_stop: StopCheck | None,
    tags: Mapping[int, Tagged] | None = None,
) -> Recommender | None:
    """A model trained from scratch on ``sessions`` (the plugin grows it to the library when it
    swaps it in). A small history gets the blend (:mod:`recommender.blend`): its fitted weights
    go into the model's cursor (``blend_weights``), saved with the checkpoint."""
    from recommender.blend import Blend  # lazy: pulls torch with it
    from recommender.config import ModelConfig
    from recommender.parts import use_blend
    from recommender.recommender import Recommender

    n_items = len({i for s in sessions for i in s.items})
    config = ModelConfig.for_data(len(sessions), n_items, **overrides)
    started = time.monotonic()
    if use_blend(len(sessions)):
        blend = Blend.train(sessions, config, tags=tags, progress=progress, should_stop=should_stop)
        rec = blend.rec
        rec.cursor["blend_weights"] = blend.weights.round(6).tolist()
    else:
        rec = Recommender.train_full(sessions, config, progress=progress, should_stop=should_stop)
    if should_stop is not None and should_stop():
        log.info("full training cancelled; the live model is kept")
        return None
    rec.cursor["full_at"] = len(sessions)
    log.info("full training on %d sessions took %.1f s", len(sessions), time.monotonic() - started)
    return rec


def fine_tuned(
    rec: Recommender,
    new: Sequence[TrainingSession],
    history: Sequence[TrainingSession],
    rng: np.random.Generator,
    progress: Report | None,
    should_stop: StopCheck | None,
) -> bool:
    """Fine-tune ``rec`` (a copy, never the live model) on ``new`` with older sessions of
    ``history`` replayed; False when it was cancelled (``rec`` is then to be dropped)."""
    import torch  # lazy, as above

    from recommender.incremental import pick_replay

    older = history[: max(0, len(history) - len(new))]
    generator = torch.Generator().manual_seed(int(rng.integers(2**31 - 1)))
    count = max(REPLAY_SESSIONS, rec.config.update_replay * len(new))
    replay = pick_replay(older, count, generator)
    rec.update(new, replay=replay, progress=progress, should_stop=should_stop)
    if should_stop is not None and should_stop():
        log.info("incremental training cancelled; the live model is kept")
        return False
    return True


def progress_adapter(progress: ProgressCallback | None, label: str) -> Report | None:
    """The plugin API's progress callback as training's ``(done, total, message)`` one; the user
    sees ``label`` (plain words), training's own message goes to the debug log."""
    if progress is None:
        return None

    def report(done: int, total: int, message: str) -> None:
        log.debug("training progress %d/%d: %s", done, total, message)
        progress(TrainProgress(done, total, label))

    return report
