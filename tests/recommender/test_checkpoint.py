"""Checkpoints round-trip; corrupt or incompatible ones are set aside, never a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommender.checkpoint import META_FILE, WEIGHTS_FILE, CheckpointError
from recommender.recommender import Recommender, load_or_none


def test_round_trip(trained: Recommender, tmp_path: Path) -> None:
    directory = tmp_path / "model"
    trained.save(directory)
    loaded = Recommender.load(directory)
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
    trained.save(directory)
    # what an older Segue wrote: every option on, constants of today's design as fields
    old = {"tied": True, "repeat": True, "repeat_flags": True, "explore_new": True}
    old |= {"skip_last": True, "cooccurrence_start": False, "max_length": 50, "device": "cpu"}
    _edit_config(directory, lambda config: config.update(old))
    loaded = Recommender.load(directory)
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
    trained.save(directory)
    old = {"tied": True, "repeat": True, "repeat_flags": True, "explore_new": True}
    old["skip_last"] = True
    if how == "off":
        old[field] = False
    else:
        del old[field]
    _edit_config(directory, lambda config: config.update(old))
    with pytest.raises(CheckpointError, match=f"trained with {field}=False.*no longer supports"):
        Recommender.load(directory)
    assert load_or_none(directory) is None  # so the plugin retrains
    assert not directory.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith("model.corrupt-")]


def test_save_overwrites_atomically(trained: Recommender, tmp_path: Path) -> None:
    directory = tmp_path / "model"
    trained.save(directory)
    trained.save(directory)
    assert sorted(p.name for p in directory.iterdir()) == sorted([META_FILE, WEIGHTS_FILE])


@pytest.mark.parametrize(
    "damage", ["truncate_weights", "garbage_meta", "wrong_version", "vocab_mismatch"]
)
def test_bad_checkpoint_is_set_aside(trained: Recommender, tmp_path: Path, damage: str) -> None:
    directory = tmp_path / "model"
    trained.save(directory)
    meta_path, weights_path = directory / META_FILE, directory / WEIGHTS_FILE
    if damage == "truncate_weights":
        weights_path.write_bytes(weights_path.read_bytes()[:100])
    elif damage == "garbage_meta":
        meta_path.write_text("{not json", encoding="utf-8")
    else:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if damage == "wrong_version":
            meta["format_version"] = 999
        else:
            meta["vocabulary"] = meta["vocabulary"][:-2]
        meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(CheckpointError):
        Recommender.load(directory)
    assert load_or_none(directory) is None
    assert not directory.exists()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("model.corrupt-")]
    assert len(aside) == 1 and (aside[0] / META_FILE).exists()  # nothing lost


def test_missing_checkpoint_is_none(tmp_path: Path) -> None:
    assert load_or_none(tmp_path / "nothing") is None
    with pytest.raises(CheckpointError, match="no checkpoint"):
        Recommender.load(tmp_path)
