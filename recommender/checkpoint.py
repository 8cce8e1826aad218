"""Checkpoints: safetensors weights + JSON metadata, written atomically, never unpickled."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "meta.json"


class CheckpointError(Exception):
    """A checkpoint is missing, corrupt or incompatible; the message says which and why."""


def write_checkpoint(
    directory: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, Any]
) -> None:
    """Write ``tensors`` and ``metadata`` into ``directory`` atomically.

    Each file is written to a temporary name and moved into place with ``os.replace``; the
    metadata (written last) records the weights' SHA-256, so a crash between the two moves
    leaves a checkpoint that :func:`read_checkpoint` rejects instead of a silent mix.
    """
    directory.mkdir(parents=True, exist_ok=True)
    weights_tmp = directory / f".{WEIGHTS_FILE}.tmp-{os.getpid()}"
    meta_tmp = directory / f".{META_FILE}.tmp-{os.getpid()}"
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(weights_tmp))
    meta = {**metadata, "format_version": FORMAT_VERSION, "weights_sha256": _sha256(weights_tmp)}
    meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
    for tmp in (weights_tmp, meta_tmp):
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
    os.replace(weights_tmp, directory / WEIGHTS_FILE)
    os.replace(meta_tmp, directory / META_FILE)


def read_checkpoint(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by :func:`write_checkpoint`.

    Raises:
        CheckpointError: Missing files, unreadable JSON, wrong format version, a weights file
            that does not match its recorded hash, or an unreadable safetensors file.
    """
    meta_path, weights_path = directory / META_FILE, directory / WEIGHTS_FILE
    if not meta_path.is_file() or not weights_path.is_file():
        raise CheckpointError(f"{directory}: no checkpoint ({META_FILE} / {WEIGHTS_FILE} missing)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{meta_path}: unreadable metadata ({exc})") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{meta_path}: metadata is not a JSON object")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{meta_path}: format version {version!r}, this Segue reads {FORMAT_VERSION}"
        )
    if meta.get("weights_sha256") != _sha256(weights_path):
        raise CheckpointError(f"{weights_path}: weights do not match their metadata (corrupt)")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights_path}: unreadable weights ({exc})") from exc
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{weights_path}: tensor {name!r} holds NaN or infinity")
    return tensors, meta


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


def counts_tensor(counts: np.ndarray) -> torch.Tensor:
    """Item counts as a float64 tensor for storage."""
    return torch.from_numpy(np.ascontiguousarray(counts, dtype=np.float64))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
