"""Checkpoints round-trip; corrupt or incompatible ones are set aside, never a crash."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from recommender.checkpoint import (
    META_FILE,
    MOMENTS_FILE,
    CheckpointError,
    NewerCheckpointError,
    load_moments,
    load_or_none,
    load_recommender,
    save_moments,
    save_recommender,
)
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from tests.recommender.conftest import planted_sessions, small_config


def test_round_trip(trained: Recommender, tmp_path: Path) -> None:
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    loaded = load_recommender(directory)
    assert loaded.vocab.to_list() == trained.vocab.to_list()
    assert loaded.config == trained.config
    assert loaded.cursor == trained.cursor
    np.testing.assert_array_equal(loaded.counts, trained.counts)
    np.testing.assert_allclose(loaded.scores([3, 4]), trained.scores([3, 4]))
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]  # no temp files left


def _edit_config(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    meta_path = directory / META_FILE
    meta = json.loads(meta_path.read_text())
    change(meta["config"])
    meta_path.write_text(json.dumps(meta))


def test_checkpoint_with_fields_this_segue_dropped_still_loads(
    trained: Recommender, tmp_path: Path
) -> None:
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    # what an older Segue wrote: every option on, constants of today's design as fields
    old = {"tied": True, "repeat": True, "repeat_flags": True, "explore_new": True}
    old |= {"skip_last": True, "cooccurrence_start": False, "max_length": 50, "device": "cpu"}
    _edit_config(directory, lambda config: config.update(old))
    loaded = load_recommender(directory)
    assert loaded.config == trained.config
    np.testing.assert_allclose(loaded.scores([3, 4]), trained.scores([3, 4]))


@pytest.mark.parametrize(
    ("field", "how"),
    [
        ("skip_last", "off"),
        ("skip_last", "missing"),  # from before the option existed: trained without it
        ("repeat", "off"),
        ("repeat_flags", "missing"),
        ("explore_new", "off"),
        ("tied", "off"),
    ],
)
def test_checkpoint_trained_with_an_option_off_is_set_aside(
    trained: Recommender, tmp_path: Path, field: str, how: str
) -> None:
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    old = {"tied": True, "repeat": True, "repeat_flags": True, "explore_new": True}
    old["skip_last"] = True
    if how == "off":
        old[field] = False
    else:
        del old[field]
    _edit_config(directory, lambda config: config.update(old))
    with pytest.raises(CheckpointError, match=f"trained with {field}=False.*no longer supports"):
        load_recommender(directory)
    assert load_or_none(directory, load_recommender) is None  # so the plugin retrains
    assert not directory.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith("model.corrupt-")]


def _weights(directory: Path) -> Path:
    return directory / str(json.loads((directory / META_FILE).read_text())["weights_file"])


def test_save_replaces_the_old_checkpoint_and_leaves_one_weights_file(
    trained: Recommender, tmp_path: Path
) -> None:
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    first = _weights(directory)
    save_recommender(trained, directory)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [META_FILE, _weights(directory).name]
    )
    assert _weights(directory) != first


@pytest.mark.parametrize(
    "damage", ["truncate_weights", "garbage_meta", "unknown_version", "vocab_mismatch"]
)
def test_bad_checkpoint_is_set_aside(trained: Recommender, tmp_path: Path, damage: str) -> None:
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    meta_path, weights_path = directory / META_FILE, _weights(directory)
    if damage == "truncate_weights":
        weights_path.write_bytes(weights_path.read_bytes()[:100])
    elif damage == "garbage_meta":
        meta_path.write_text("{not json", encoding="utf-8")
    else:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if damage == "unknown_version":
            meta["format_version"] = 0
        else:
            meta["vocabulary"] = meta["vocabulary"][:-2]
        meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(CheckpointError):
        load_recommender(directory)
    assert load_or_none(directory, load_recommender) is None
    assert not directory.exists()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("model.corrupt-")]
    assert len(aside) == 1 and (aside[0] / META_FILE).exists()  # nothing lost


def test_missing_checkpoint_is_none(tmp_path: Path) -> None:
    assert load_or_none(tmp_path / "nothing", load_recommender) is None
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_recommender(tmp_path)


def test_a_newer_segues_checkpoint_is_left_untouched(trained: Recommender, tmp_path: Path) -> None:
    """Issue #25 (7): like the database's rule, a newer checkpoint is neither read nor moved."""
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    meta = json.loads((directory / META_FILE).read_text())
    meta["format_version"] = 999
    (directory / META_FILE).write_text(json.dumps(meta))
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(NewerCheckpointError, match="newer Segue"):
        load_or_none(directory, load_recommender)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


_KILLED_WHILE_SAVING = """
import os, signal, sys
import torch
from pathlib import Path
from recommender.checkpoint import load_recommender, save_recommender
rec = load_recommender(Path(sys.argv[1]))
rec.cursor["saves"] = 1
event, nth, seen = sys.argv[2], int(sys.argv[3]), [0]

def kill_at(name, args):  # kill -9 this process just before its nth rename / remove
    if name == event:
        seen[0] += 1
        if seen[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(kill_at)
save_recommender(rec, Path(sys.argv[1]))
"""


@pytest.mark.parametrize(
    ("event", "nth", "saved"),
    [
        ("os.rename", 1, False),  # before the new weights get their name
        ("os.rename", 2, False),  # between the weights and the metadata that names them
        ("os.remove", 1, True),  # after the switch, while the old weights are removed
    ],
)
def test_a_kill_at_any_instant_leaves_the_old_or_the_new_checkpoint_whole(
    trained: Recommender, tmp_path: Path, event: str, nth: int, saved: bool
) -> None:
    """Issue #25 (7): before, a kill between the two renames left new weights with old
    metadata, set aside as corrupt: both models lost."""
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_SAVING, str(directory), event, str(nth)],
        capture_output=True,
    )
    assert child.returncode == -signal.SIGKILL
    loaded = load_recommender(directory)
    assert loaded.cursor.get("saves") == (1 if saved else None)
    save_recommender(trained, directory)  # the next write clears what the kill left
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [META_FILE, _weights(directory).name]
    )


_SAVE_ON_A_FULL_DISK = """
import resource, signal, sys
import torch
from pathlib import Path
from recommender.checkpoint import load_recommender, save_recommender
rec = load_recommender(Path(sys.argv[1]))
rec.add_tracks(range(10_000, 20_000))  # bigger than the disk allows
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
try:
    save_recommender(rec, Path(sys.argv[1]))
except OSError as exc:
    print("OSError", exc.errno)
"""


def test_a_full_disk_keeps_the_old_checkpoint_and_leaks_no_temporary_file(
    trained: Recommender, tmp_path: Path
) -> None:
    directory = tmp_path / "model"
    save_recommender(trained, directory)
    before = sorted(p.name for p in directory.iterdir())
    limit = _weights(directory).stat().st_size * 2
    out = subprocess.run(
        [sys.executable, "-c", _SAVE_ON_A_FULL_DISK, str(directory), str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("OSError")
    assert sorted(p.name for p in directory.iterdir()) == before
    np.testing.assert_allclose(load_recommender(directory).scores([3, 4]), trained.scores([3, 4]))


def _updated(rec: Recommender, sessions: list[TrainingSession], seed: int) -> Recommender:
    rec.seed_updates(seed)
    rec.update(sessions[:2], replay=sessions[2:])
    return rec


def test_moments_saved_beside_the_checkpoint_carry_the_optimizer_over(
    trained: Recommender, tmp_path: Path
) -> None:
    """A learning process per update (issue 29) goes on with the optimizer of the last one:
    reloaded with its moments, the next update is the one a kept optimizer makes."""
    first, second = planted_sessions(12, seed=5), planted_sessions(12, seed=6)
    first[0] = TrainingSession((401, 402, 403))  # the update grows the model (and its moments)
    kept = _updated(copy.deepcopy(trained), first, 1)
    directory = tmp_path / "model"
    save_recommender(kept, directory)
    save_moments(kept, directory)
    save_recommender(kept, directory)  # a second write of the weights: the moments stay
    save_moments(kept, directory)
    assert (directory / MOMENTS_FILE).is_file()

    reloaded = load_recommender(directory)
    assert load_moments(reloaded, directory)
    fresh = load_recommender(directory)
    for rec in (kept, reloaded, fresh):
        _updated(rec, second, 2)
    after_kept, after_reloaded = kept.model.state_dict(), reloaded.model.state_dict()
    assert all(torch.equal(after_kept[k], after_reloaded[k]) for k in after_kept)
    after_fresh = fresh.model.state_dict()  # the test can fail: a fresh Adam moves otherwise
    assert not torch.equal(after_fresh["cell.weight_hh_l0"], after_kept["cell.weight_hh_l0"])


@pytest.mark.parametrize("damage", ["missing", "another_checkpoint", "garbage", "other_shape"])
def test_moments_that_do_not_belong_mean_a_fresh_optimizer(
    trained: Recommender, tmp_path: Path, damage: str
) -> None:
    rec = _updated(copy.deepcopy(trained), planted_sessions(12, seed=5), 1)
    directory = tmp_path / "model"
    save_recommender(rec, directory)
    save_moments(rec, directory)
    moments = directory / MOMENTS_FILE
    if damage == "missing":
        moments.unlink()
    elif damage == "another_checkpoint":  # weights learned further, their moments not saved
        save_recommender(_updated(rec, planted_sessions(12, seed=6), 2), directory)
    elif damage == "garbage":
        moments.write_bytes(b"\x00" * 64)
    else:
        other = Recommender.untrained([1, 2, 3], small_config(hidden_dim=8))
        other.update([TrainingSession((1, 2, 3))])
        weights = json.loads((directory / META_FILE).read_text())["weights_sha256"]
        save_file(other.update_optimizer().moments(), str(moments), {"weights": weights})
    loaded = load_recommender(directory)
    assert not load_moments(loaded, directory)
    optimizer = loaded.update_optimizer()
    assert not any(o.state for o in optimizer.optimizers)  # fresh: no state at all
