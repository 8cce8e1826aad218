"""Checkpoints: safetensors weights + JSON metadata; a kill never leaves half of one; no pickle.

Files are read and written as numpy arrays, so radio reads a checkpoint without torch
(:class:`recommender.radio.engine.RadioModel`); only :func:`save_recommender` and
:func:`load_recommender`, which learning uses, import torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file, save_file

from recommender.config import ModelConfig
from recommender.vocab import Vocabulary

if TYPE_CHECKING:
    from recommender.recommender import Recommender

log = logging.getLogger(__name__)

Loaded = TypeVar("Loaded")

FORMAT_VERSION = 1
META_FILE = "meta.json"
#: Where checkpoints before the weights got names of their own kept them.
LEGACY_WEIGHTS_FILE = "model.safetensors"
#: The update optimizer's moments beside the checkpoint (a name write_checkpoint's cleanup of
#: older ``model-*`` weights leaves alone).
MOMENTS_FILE = "optimizer.safetensors"


class CheckpointError(Exception):
    """A checkpoint is missing, corrupt or incompatible; the message says which and why."""


class NewerCheckpointError(CheckpointError):
    """A checkpoint from a newer Segue: not to be read, set aside or overwritten."""


def write_checkpoint(
    directory: Path, tensors: dict[str, np.ndarray], metadata: dict[str, Any]
) -> None:
    """Write ``tensors`` and ``metadata`` into ``directory`` so a kill leaves old or new whole.

    The weights go to a file of their own name (``model-<stamp>.safetensors``), then the
    metadata, which names that file and records its SHA-256, replaces ``meta.json`` in one
    ``os.replace``: until that instant the old metadata names the old weights, untouched; after
    it the new names the new. Only then are older weights files (and the temporary files of a
    write that was killed) removed. A failed write (a full disk) removes its temporary files and
    raises ``OSError``; the old checkpoint stays.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.time_ns():x}-{os.getpid()}"
    weights_name = f"model-{stamp}.safetensors"
    weights_tmp = directory / f".{weights_name}.tmp"
    meta_tmp = directory / f".{META_FILE}.{stamp}.tmp"
    try:
        _save_tensors(weights_tmp, {k: np.ascontiguousarray(v) for k, v in tensors.items()})
        os.replace(weights_tmp, directory / weights_name)
        meta = {
            **metadata,
            "format_version": FORMAT_VERSION,
            "weights_file": weights_name,
            "weights_sha256": _sha256(directory / weights_name),
        }
        meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
        _sync(meta_tmp)
        os.replace(meta_tmp, directory / META_FILE)
    except BaseException:
        for leftover in (weights_tmp, meta_tmp, directory / weights_name):
            leftover.unlink(missing_ok=True)
        raise
    # What earlier writes left: older weights, and a killed write's temporary files.
    stale = [*directory.glob("model-*.safetensors"), *directory.glob(".*.tmp")]
    for old in [*stale, directory / LEGACY_WEIGHTS_FILE]:
        if old.name != weights_name:
            old.unlink(missing_ok=True)


def read_checkpoint(directory: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a checkpoint written by :func:`write_checkpoint` (or by a Segue before it).

    Raises:
        NewerCheckpointError: It was written by a newer Segue (leave it alone).
        CheckpointError: Missing files, unreadable JSON, a weights file that does not match its
            recorded hash, or an unreadable safetensors file.
    """
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise CheckpointError(f"{directory}: no checkpoint ({META_FILE} missing)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{meta_path}: unreadable metadata ({exc})") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{meta_path}: metadata is not a JSON object")
    version = meta.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise NewerCheckpointError(
            f"{directory} was written by a newer Segue (format {version}, this one reads "
            f"{FORMAT_VERSION}); it is left untouched and radio runs without it"
        )
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{meta_path}: format version {version!r}, expected {FORMAT_VERSION}")
    name = meta.get("weights_file", LEGACY_WEIGHTS_FILE)
    weights_path = directory / str(name)
    if not isinstance(name, str) or Path(name).name != name or not weights_path.is_file():
        raise CheckpointError(f"{meta_path}: its weights file {name!r} is missing")
    if meta.get("weights_sha256") != _sha256(weights_path):
        raise CheckpointError(f"{weights_path}: weights do not match their metadata (corrupt)")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights_path}: unreadable weights ({exc})") from exc
    for tensor_name, tensor in tensors.items():
        if np.issubdtype(tensor.dtype, np.floating) and not np.isfinite(tensor).all():
            raise CheckpointError(f"{weights_path}: tensor {tensor_name!r} holds NaN or infinity")
    return tensors, meta


def save_recommender(rec: Recommender, directory: Path) -> None:
    """Write ``rec`` (weights, counts, config, vocabulary, cursor) as a checkpoint."""
    tensors = {k: v.detach().cpu().numpy() for k, v in rec.model.state_dict().items()}
    tensors["_counts"] = np.ascontiguousarray(rec.counts, dtype=np.float64)
    metadata = {
        "config": rec.config.to_dict(),
        "vocabulary": rec.vocab.to_list(),
        "cursor": rec.cursor,
    }
    write_checkpoint(directory, tensors, metadata)


def load_recommender(directory: Path) -> Recommender:
    """Load a checkpoint written by :func:`save_recommender` (no pickle is ever involved).

    Raises:
        CheckpointError: The checkpoint is missing, corrupt, incompatible or newer.
    """
    import torch  # lazy: radio reads checkpoints without it (see the module docstring)

    from recommender.model import SessionRNN
    from recommender.recommender import Recommender

    arrays, meta = read_checkpoint(directory)
    try:
        config = ModelConfig.from_dict(meta["config"])
        vocab = Vocabulary.from_list(int(i) for i in meta["vocabulary"])
        counts = arrays.pop("_counts").astype(np.float64)
        model = SessionRNN(len(vocab), config)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()}, strict=True)
        cursor = dict(meta.get("cursor") or {})
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{directory}: incompatible checkpoint ({exc})") from exc
    if counts.shape[0] != len(vocab):
        raise CheckpointError(f"{directory}: item counts do not match the vocabulary")
    model.eval()
    return Recommender(model, vocab, config, counts, cursor)


def save_moments(rec: Recommender, directory: Path) -> None:
    """Write ``rec``'s update optimizer moments beside the checkpoint :func:`save_recommender`
    just wrote in ``directory``, tied to it by its weights' hash (atomic, as the checkpoint).

    A learning process per update would otherwise start each one with a fresh Adam
    (``bench/NOTES.md``: worse).

    Raises:
        OSError: It could not be written (the checkpoint stays).
    """
    meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    path = directory / MOMENTS_FILE
    tmp = directory / f".{MOMENTS_FILE}.{time.time_ns():x}-{os.getpid()}.tmp"
    try:
        from safetensors.torch import save_file as save_torch  # lazy: learning's side

        moments = rec.update_optimizer().moments()  # torch's own writer keeps 0-d step counts
        _save_tensors(tmp, moments, {"weights": meta["weights_sha256"]}, save_torch)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_moments(rec: Recommender, directory: Path) -> bool:
    """Give ``rec``'s update optimizer the moments saved beside its checkpoint in ``directory``.

    Returns:
        True if they were taken; False (a fresh optimizer, never an error) when there are none,
        or they belong to another checkpoint, or do not fit the model, or are unreadable.
    """
    import torch  # lazy: only learning (in its own process) reads the moments

    path = directory / MOMENTS_FILE
    if not path.is_file():
        return False
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        with safe_open(str(path), "pt") as saved:
            if (saved.metadata() or {}).get("weights") != meta.get("weights_sha256"):
                log.info("optimizer moments in %s belong to another checkpoint", path)
                return False
            moments = {name: saved.get_tensor(name) for name in saved.keys()}  # noqa: SIM118 (not a dict)
        if not all(torch.isfinite(m).all() for m in moments.values() if m.is_floating_point()):
            raise ValueError("NaN or infinity")
        rec.update_optimizer().restore(moments)
    except (OSError, SafetensorError, ValueError, TypeError, AttributeError) as exc:
        log.warning("optimizer moments in %s unusable (%s); a fresh optimizer", path, exc)
        return False
    return True


def load_or_none(directory: Path, loader: Callable[[Path], Loaded]) -> Loaded | None:
    """Load the checkpoint in ``directory``; a bad one is moved aside and ``None`` returned.

    A missing checkpoint returns ``None`` quietly; a corrupt or incompatible one is renamed
    ``<name>.corrupt-<timestamp>`` with a logged warning saying why, so the caller retrains.
    ``loader`` reads it (:func:`load_recommender`, or radio's ``RadioModel.load``).

    Raises:
        NewerCheckpointError: A newer Segue's checkpoint, left where it is.
    """
    if not directory.exists() or not any(directory.iterdir()):
        return None
    try:
        return loader(directory)
    except NewerCheckpointError:
        raise
    except CheckpointError as exc:
        set_aside(directory, str(exc))
        return None


def set_aside(directory: Path, reason: str) -> Path | None:
    """Rename a bad checkpoint directory to ``<name>.corrupt-<timestamp>``; returns the new path.

    Nothing is deleted, so the files can still be inspected. Returns ``None`` if the directory
    does not exist or cannot be renamed (the failure is logged).
    """
    if not directory.exists():
        return None
    target = directory.with_name(f"{directory.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    suffix = 0
    while target.exists():
        suffix += 1
        target = target.with_name(f"{target.name.split('~')[0]}~{suffix}")
    try:
        os.replace(directory, target)
    except OSError:
        log.exception("could not move the bad checkpoint %s aside", directory)
        return None
    log.warning("checkpoint %s set aside as %s: %s", directory, target, reason)
    return target


def _save_tensors(
    path: Path,
    tensors: Mapping[str, Any],
    metadata: dict[str, str] | None = None,
    save: Callable[..., None] = save_file,
) -> None:
    """Write ``tensors`` (numpy; torch's with ``save`` from ``safetensors.torch``) to ``path``
    and sync it; a failed write raises ``OSError``."""
    try:
        save(dict(tensors), str(path), metadata)
    except SafetensorError as exc:  # safetensors reports a failed write (a full disk) so
        raise OSError(f"could not write {path}: {exc}") from exc
    _sync(path)


def _sync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
