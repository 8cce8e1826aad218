"""Plain listening sessions for training, the .txt / .tsv readers, and skip weighting."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from player.plugin_api import Origin, Outcome, PlayRecord

log = logging.getLogger(__name__)

#: A skip before this share of the track counts as "not wanted here": the track leaves the sequence.
EARLY_SKIP_FRACTION = 0.5
#: Target weight of a track skipped late (heard most of it: a weak positive).
LATE_SKIP_WEIGHT = 0.5
#: Target weight of a finished track the radio chose (our own pick: discounted against loops).
RADIO_PICK_WEIGHT = 0.7
#: Target weight of a track the listener loves, however it ended unless skipped early (the
#: strongest positive: stronger than a finished play of the listener's own choice).
LOVE_WEIGHT = 2.0


class SessionFormatError(ValueError):
    """A sessions file is malformed or empty; the message names the file and the line."""


#: Item ids must fit a signed 64-bit integer (the model's index tensors are int64).
MAX_ITEM_ID = 2**63 - 1


@dataclass(frozen=True)
class TrainingSession:
    """One listening session as the model sees it.

    Attributes:
        items: External track ids (library ids or dataset ids), in listening order.
        weights: Per-position target weight (``None`` means all 1.0). ``weights[i]`` scales the
            loss of predicting ``items[i]`` from ``items[:i]``; ``weights[0]`` is unused.
    """

    items: tuple[int, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.weights is not None and len(self.weights) != len(self.items):
            raise ValueError("weights must have one entry per item")


def session_from_plays(plays: Sequence[PlayRecord], loved: Collection[int] = ()) -> TrainingSession:
    """Turn a session's plays into a training session (how skips and radio picks enter training).

    The rule, chosen to match :meth:`recommender.recommender.Recommender.advance` (a skip never
    steers the radio's hidden state):

    * ``failed`` plays are dropped (a broken file says nothing about taste);
    * a skip before :data:`EARLY_SKIP_FRACTION` of the track is dropped from the sequence: it is
      neither an input nor a target, so the model never learns to offer it in that context;
    * a late skip stays with target weight :data:`LATE_SKIP_WEIGHT`;
    * a finished track the radio chose gets :data:`RADIO_PICK_WEIGHT` (the model picked it, so it is
      weaker evidence than a user's own choice); everything else gets 1.0;
    * a track the listener loves gets :data:`LOVE_WEIGHT` wherever it stays in the sequence.

    Args:
        plays: The plays of one session, in order.
        loved: Track ids the listener loves.

    Returns:
        The training session (possibly shorter than ``plays``).
    """
    items: list[int] = []
    weights: list[float] = []
    for play in plays:
        if play.outcome is Outcome.FAILED:
            continue
        weight = 1.0
        if play.outcome is Outcome.SKIPPED:
            fraction = _played_fraction(play)
            if fraction < EARLY_SKIP_FRACTION:
                continue
            weight = LATE_SKIP_WEIGHT
        elif play.origin is Origin.RADIO:
            weight = RADIO_PICK_WEIGHT
        if play.track_id in loved:
            weight = LOVE_WEIGHT
        items.append(play.track_id)
        weights.append(weight)
    if all(w == 1.0 for w in weights):
        return TrainingSession(tuple(items))
    return TrainingSession(tuple(items), tuple(weights))


def _played_fraction(play: PlayRecord) -> float:
    if not play.duration_ms:
        return 0.0
    return max(0.0, min(1.0, play.played_ms / play.duration_ms))


def read_sessions(path: Path) -> list[TrainingSession]:
    """Read sessions from a ``.txt`` (ids separated by spaces) or ``.tsv`` file.

    The TSV form has the header ``SessionId<TAB>ItemId<TAB>Time``; rows are grouped by session and
    ordered by time within a session. Sessions keep the file's order.

    Args:
        path: The file to read.

    Returns:
        The sessions, in file order (empty lines in a .txt file are skipped); never empty.

    Raises:
        SessionFormatError: A line cannot be parsed, an id is negative or 2^63 or more, or the
            file holds no session; the message names the file (and the line where there is one).
        OSError: The file cannot be read.
    """
    try:
        sessions = _read_tsv(path) if path.suffix.lower() == ".tsv" else _read_txt(path)
    except UnicodeDecodeError as exc:
        raise SessionFormatError(
            f"{path}: not a text file (byte {exc.start}: {exc.reason})"
        ) from None
    if not sessions:
        raise SessionFormatError(f"{path}: no sessions in the file (it is empty or blank)")
    return sessions


def _check_ids(path: Path, number: int, items: Sequence[int]) -> None:
    if min(items) < 0:
        raise SessionFormatError(f"{path}:{number}: item ids must not be negative")
    if max(items) > MAX_ITEM_ID:
        raise SessionFormatError(
            f"{path}:{number}: item id {max(items)} is too large (ids must be below 2^63)"
        )


def _read_txt(path: Path) -> list[TrainingSession]:
    sessions: list[TrainingSession] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            try:
                items = tuple(int(f) for f in fields)
            except ValueError:
                raise SessionFormatError(
                    f"{path}:{number}: expected item ids (integers) separated by spaces, "
                    f"got {line.strip()[:80]!r}"
                ) from None
            _check_ids(path, number, items)
            sessions.append(TrainingSession(items))
    return sessions


def _read_tsv(path: Path) -> list[TrainingSession]:
    sessions: list[TrainingSession] = []
    current_id: str | None = None
    current: list[int] = []
    seen: set[str] = set()
    last_time = -math.inf
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if header[:3] != ["SessionId", "ItemId", "Time"]:
            raise SessionFormatError(
                f"{path}:1: expected the header 'SessionId<TAB>ItemId<TAB>Time', got {header!r}"
            )
        for number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 3:
                raise SessionFormatError(f"{path}:{number}: expected 3 tab-separated fields")
            session_id, item_text, time_text = fields[0], fields[1], fields[2]
            try:
                item = int(item_text)
                time = float(time_text)
            except ValueError:
                raise SessionFormatError(
                    f"{path}:{number}: ItemId must be an integer and Time a number, "
                    f"got {item_text!r}, {time_text!r}"
                ) from None
            _check_ids(path, number, (item,))
            if session_id != current_id:
                if current_id is not None:
                    sessions.append(TrainingSession(tuple(current)))
                if session_id in seen:
                    raise SessionFormatError(
                        f"{path}:{number}: rows of session {session_id!r} are not grouped together"
                    )
                seen.add(session_id)
                current_id, current, last_time = session_id, [], -math.inf
            if time < last_time:
                raise SessionFormatError(
                    f"{path}:{number}: session {session_id!r} is not ordered by time"
                )
            last_time = time
            current.append(item)
    if current_id is not None:
        sessions.append(TrainingSession(tuple(current)))
    return sessions


def item_ids(sessions: Iterable[TrainingSession]) -> list[int]:
    """All distinct item ids in order of first appearance."""
    seen: dict[int, None] = {}
    for session in sessions:
        for item in session.items:
            seen.setdefault(item, None)
    return list(seen)
