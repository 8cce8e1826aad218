"""What radio remembers between runs besides the model: last track, recent window, skips.

Saved as JSON next to the checkpoint (written to a temporary file, then ``os.replace``); a file
that cannot be read is moved aside with a message and radio starts fresh. No torch here.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
RECENT_LENGTH = 50
SKIP_LENGTH = 3
#: Plays after which a skip no longer steers the cold-start prior.
SKIP_TTL = 3
#: Next-track observations kept to fit the prior's share of the mix.
EVIDENCE_LENGTH = 500


@dataclass
class RadioMemory:
    """Radio's plain memory.

    Attributes:
        last_track: The last track heard (the prior's "previous").
        recent: Recently heard track ids, oldest first.
        skips: ``[track_id, plays_left]`` of recent early skips, newest first.
        state: The model's hidden state as ``RadioState.to_dict()`` (None without a model).
        evidence: ``[p_model, p_prior]`` of real next tracks, each scored before the model
            learned its session (see :func:`recommender.radio.mixture.fit_share`).
    """

    last_track: int | None = None
    recent: list[int] = field(default_factory=list)
    skip_entries: list[list[int]] = field(default_factory=list)
    state: dict[str, Any] | None = None
    evidence: list[list[float]] = field(default_factory=list)

    @property
    def skips(self) -> list[int]:
        """Recently skipped track ids, newest first."""
        return [t for t, _ in self.skip_entries]

    def heard(self, track_id: int) -> None:
        """A track played (skips age by one play)."""
        self.last_track = track_id
        self.recent = [*self.recent, track_id][-RECENT_LENGTH:]
        self.skip_entries = [[t, n - 1] for t, n in self.skip_entries if n > 1]

    def forget_last(self, track_id: int) -> None:
        """Take back the last :meth:`heard` of ``track_id`` (it failed or was skipped early)."""
        if self.recent and self.recent[-1] == track_id:
            self.recent = self.recent[:-1]

    def add_skip(self, track_id: int) -> None:
        """Remember an early skip."""
        self.skip_entries = [[track_id, SKIP_TTL], *self.skip_entries][:SKIP_LENGTH]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "version": FORMAT_VERSION,
            "last_track": self.last_track,
            "recent": self.recent,
            "skips": self.skip_entries,
            "state": self.state,
            "evidence": self.evidence[-EVIDENCE_LENGTH:],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RadioMemory:
        """Inverse of :meth:`to_dict`; raises ValueError on anything malformed."""
        try:
            if int(data["version"]) > FORMAT_VERSION:
                raise ValueError(f"format version {data['version']} is newer than this Segue")
            last = data.get("last_track")
            return cls(
                last_track=None if last is None else int(last),
                recent=[int(t) for t in data.get("recent", [])][-RECENT_LENGTH:],
                skip_entries=[[int(t), int(n)] for t, n in data.get("skips", [])],
                state=dict(data["state"]) if data.get("state") is not None else None,
                evidence=[[float(m), float(q)] for m, q in data.get("evidence", [])][
                    -EVIDENCE_LENGTH:
                ],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed radio memory: {exc}") from exc


def load_memory(path: Path) -> RadioMemory:
    """Read radio's memory; a missing file gives a fresh one, a broken one is set aside."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RadioMemory()
    except OSError as exc:
        log.warning("cannot read %s (%s); radio starts fresh", path, exc)
        return RadioMemory()
    try:  # UnicodeDecodeError (a binary file) is a ValueError too
        return RadioMemory.from_dict(json.loads(data.decode("utf-8")))
    except (ValueError, AttributeError, TypeError) as exc:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        log.warning("%s is unreadable (%s); moved to %s, radio starts fresh", path, exc, aside)
        try:
            os.replace(path, aside)
        except OSError:
            log.exception("could not move %s aside", path)
        return RadioMemory()


def save_memory(path: Path, memory: RadioMemory) -> None:
    """Write radio's memory atomically; on failure (a full disk) the old file stays, the
    temporary one is removed and ``OSError`` says what could not be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(memory.to_dict()), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
