"""Learning in a child process: real children, tiny models; the parent never loads torch."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from player.plugin_api import TrainProgress
from recommender.checkpoint import (
    META_FILE,
    MOMENTS_FILE,
    load_moments,
    load_recommender,
    save_recommender,
)
from recommender.learn_process import LearnJob, LearnOutcome, learn_in_child
from recommender.learning import progress_adapter
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from recommender.tags import ItemTags
from tests.fresh_python import run_offscreen
from tests.recommender.conftest import N_ITEMS, planted_sessions

#: A tiny model, as tests/recommender/conftest.py's small_config (ModelConfig overrides).
TINY: dict[str, Any] = {
    "embedding_dim": 16,
    "hidden_dim": 32,
    "epochs": 4,
    "batch_size": 16,
    "negatives": 16,
    "lr": 0.02,
    "dropout_embedding": 0.0,
    "dropout_hidden": 0.0,
    "recent_share": 0.0,
}
FRESH = "learning: recommender.learn_child: the update starts a fresh optimizer"
LIBRARY = [*range(1, N_ITEMS + 1), 1001, 1002]  # two tracks never heard


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_job_goes_over_as_json_and_back(tmp_path: Path) -> None:
    job = LearnJob(
        "full",
        tmp_path / "live",
        tmp_path / "out",
        [TrainingSession((1, 2, 3), (1.0, 0.5, 2.0)), TrainingSession((4, 5))],
        overrides={"epochs": 2},
        tags={4: ItemTags("Artist", album="Album", track_number=3, year=1999)},
        library=[1, 2, 3, 4, 5, 6],
        seed=7,
        threads=2,
    )
    text = io.StringIO()
    job.write(text)
    assert LearnJob.read(io.StringIO(text.getvalue())) == job
    with pytest.raises(ValueError, match="ends early"):
        LearnJob.read(text.getvalue().splitlines()[:2])


def test_a_full_learning_writes_a_checkpoint_that_covers_the_library(tmp_path: Path) -> None:
    seen: list[TrainProgress] = []
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / MOMENTS_FILE).write_bytes(b"an older model's")
    job = LearnJob(
        "full", tmp_path / "live", tmp_path / "out", planted_sessions(60), overrides=TINY,
        library=LIBRARY,
    )  # fmt: skip
    outcome = learn_in_child(job, progress_adapter(seen.append, "Learning"))
    assert outcome.learned, outcome.message
    rec = load_recommender(tmp_path / "out")
    assert set(LIBRARY) <= set(rec.vocab.to_list())
    assert rec.cursor == outcome.cursor
    assert outcome.cursor["full_at"] == 60 and outcome.cursor["sessions_seen"] == 60
    assert seen and seen[-1].done == seen[-1].total
    assert all(p.message == "Learning" for p in seen)
    assert not (tmp_path / "live").exists()
    assert not (tmp_path / "out" / MOMENTS_FILE).exists()  # the next update starts fresh
    assert not list(tmp_path.glob(".learn-job-*"))  # the job file is removed


def test_updates_learn_from_the_live_checkpoint_and_keep_their_optimizer(
    trained: Recommender, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live, out, later = tmp_path / "live", tmp_path / "out", tmp_path / "later"
    save_recommender(trained, live)
    before = files(live)
    seen = int(trained.cursor["sessions_seen"])
    new = [TrainingSession((5, 6, 7, 8)), TrainingSession((20, 21, 22), (1.0, 0.7, 0.5))]
    history = [*planted_sessions(seen), *new]
    caplog.set_level(logging.INFO, logger="recommender.learn_process")
    job = LearnJob("update", live, out, history, new_count=2, library=LIBRARY, seed=3)
    outcome = learn_in_child(job)
    assert outcome.learned, outcome.message
    assert outcome.cursor["sessions_seen"] == seen + 2
    assert outcome.cursor["updates"] == int(trained.cursor.get("updates", 0)) + 1
    rec = load_recommender(out)
    assert set(LIBRARY) <= set(rec.vocab.to_list())
    assert rec.counts[rec.vocab.index(20)] == trained.counts[trained.vocab.index(20)] + 1
    learned, old = rec.model.state_dict(), trained.model.state_dict()
    assert not torch.equal(learned["cell.weight_hh_l0"], old["cell.weight_hh_l0"])
    assert files(live) == before
    assert FRESH in caplog.messages  # the child's log line, in this process's log

    caplog.clear()  # the next update goes on with the moments saved beside ``out``
    history.append(TrainingSession((9, 10, 11)))
    job = LearnJob("update", out, later, history, new_count=1, library=LIBRARY, seed=4)
    outcome = learn_in_child(job)
    assert outcome.learned, outcome.message
    assert outcome.cursor["sessions_seen"] == seen + 3
    assert FRESH not in caplog.messages
    assert load_moments(load_recommender(later), later)


def test_a_cancel_after_the_first_progress_keeps_the_old_checkpoint(
    trained: Recommender, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    save_recommender(trained, out)
    before = files(out)
    steps: list[int] = []
    job = LearnJob(
        "full", out, out, planted_sessions(300), overrides={**TINY, "epochs": 200},
        library=LIBRARY,
    )  # fmt: skip
    outcome = learn_in_child(job, lambda done, total, _: steps.append(done), lambda: bool(steps))
    assert outcome == LearnOutcome(False, "cancelled")
    assert len(steps) == 1
    assert files(out) == before
    assert not list(tmp_path.glob(".learn-job-*"))


def test_a_corrupt_live_checkpoint_is_named_not_raised(
    trained: Recommender, tmp_path: Path
) -> None:
    live, out = tmp_path / "live", tmp_path / "out"
    save_recommender(trained, live)
    weights = live / json.loads((live / META_FILE).read_text())["weights_file"]
    weights.write_bytes(weights.read_bytes()[:-100])
    job = LearnJob("update", live, out, planted_sessions(20), new_count=1)
    outcome = learn_in_child(job)
    assert not outcome.learned
    assert "could not read the model to update" in outcome.message
    assert str(live) in outcome.message and "corrupt" in outcome.message
    assert not out.exists()


def test_an_unwritable_checkpoint_folder_is_said(trained: Recommender, tmp_path: Path) -> None:
    live, out = tmp_path / "live", tmp_path / "out"
    save_recommender(trained, live)
    out.write_text("a file where the folder should be")
    job = LearnJob("update", live, out, planted_sessions(20), new_count=1)
    outcome = learn_in_child(job)
    assert not outcome.learned
    assert outcome.message.startswith(f"could not write the checkpoint to {out}:")
    assert out.read_text() == "a file where the folder should be"


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_child_is_a_message_not_an_exception(trained: Recommender, tmp_path: Path) -> None:
    out = tmp_path / "out"
    save_recommender(trained, out)
    before = files(out)

    def kill_the_child(done: int, total: int, message: str) -> None:
        for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
            for pid in children.read_text().split():
                os.kill(int(pid), signal.SIGKILL)

    job = LearnJob(
        "full", out, out, planted_sessions(300), overrides={**TINY, "epochs": 200}
    )  # fmt: skip
    outcome = learn_in_child(job, kill_the_child)
    assert not outcome.learned
    assert "killed (SIGKILL)" in outcome.message
    assert files(out) == before


PARENT = """
import json, sys
from pathlib import Path
from recommender.learn_process import LearnJob, learn_in_child
from recommender.sessions import TrainingSession

sessions = [TrainingSession(tuple(range(s, s + 4))) for s in range(1, 13)]
job = LearnJob("full", Path(sys.argv[1]), Path(sys.argv[1]), sessions,
               overrides=json.loads(sys.argv[2]))
outcome = learn_in_child(job)
print(json.dumps({"learned": outcome.learned, "message": outcome.message,
                  "torch": "torch" in sys.modules}))
"""


def test_the_parent_never_imports_torch(tmp_path: Path) -> None:
    result = run_offscreen(PARENT, str(tmp_path / "out"), json.dumps(TINY), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures == {"learned": True, "message": "", "torch": False}


def test_a_learning_that_raises_comes_back_in_words(tmp_path: Path) -> None:
    job = LearnJob(
        "full", tmp_path / "out", tmp_path / "out", planted_sessions(20),
        overrides={"no_such_option": 1},
    )  # fmt: skip
    outcome = learn_in_child(job)
    assert not outcome.learned
    assert outcome.message.startswith("learning failed: ") and "no_such_option" in outcome.message
    assert "\n" not in outcome.message


def test_a_job_that_cannot_be_written_is_said(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "models"
    outcome = learn_in_child(LearnJob("full", out, out, planted_sessions(20)))
    assert not outcome.learned
    assert outcome.message.startswith(f"could not write the learning job beside {out}: ")


ORPHANED = """
import json, os, sys
from pathlib import Path
from recommender.learn_process import LearnJob, learn_in_child
from tests.recommender.test_learn_process import TINY, planted_sessions

def tell_and_wait(done, total, message):  # the child's pid, then this process waits to die
    children = Path(f"/proc/{os.getpid()}/task").glob("*/children")
    print(" ".join(p for c in children for p in c.read_text().split()), flush=True)
    sys.stdin.read()

out = Path(sys.argv[1])
job = LearnJob("full", out, out, planted_sessions(300), overrides={**TINY, "epochs": 200})
learn_in_child(job, tell_and_wait)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended; its new parent may not have reaped it yet


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task").is_dir(), reason="needs Linux /proc")
def test_the_child_ends_when_the_player_dies(trained: Recommender, tmp_path: Path) -> None:
    """No orphan learns on and writes the checkpoint beside the next player's learning. Two
    things end it: its stdin closing, and its next progress line meeting a closed pipe."""
    out = tmp_path / "out"
    save_recommender(trained, out)
    before = files(out)
    player = subprocess.Popen(
        [sys.executable, "-c", ORPHANED, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert player.stdout is not None
    child = int(player.stdout.readline())
    player.kill()  # as a crash: no cleanup runs in the player
    player.wait()
    deadline = time.monotonic() + 60
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child)
    assert files(out) == before
