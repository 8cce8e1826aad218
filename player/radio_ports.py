"""What radio needs from the queue and playback, and from the plugin host (protocols only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from player.plugin_api import Suggestion


class RadioQueue(Protocol):
    """What radio needs from the queue and playback."""

    def current_track_id(self) -> int | None:
        """The track playing (or paused), if any."""
        ...

    def upcoming_track_ids(self) -> Sequence[int]:
        """Queued tracks after the current one, in play order."""
        ...

    def append_radio_track(self, track_id: int, probability: float) -> None:
        """Append a track at the end of the queue, marked as picked by radio."""
        ...

    def drop_radio_tail(self) -> list[int]:
        """Remove the radio-picked tracks at the end of the queue (not yet played)."""
        ...

    def start_if_idle(self) -> None:
        """Start playing the queue when nothing plays."""
        ...


class SuggestionSource(Protocol):
    """What radio needs from the plugin host."""

    def request_candidates(
        self,
        n: int,
        exclude: frozenset[int],
        on_done: Callable[[list[list[Suggestion]] | None, str | None], None],
        *,
        after: Sequence[int] = (),
        spares: int = 0,
    ) -> bool:
        """Ask for ``n`` slots of picks, each with up to ``spares`` alternatives for a missing
        file (``after``: tracks queued before them); False if nobody can answer."""
        ...

    def set_option(self, name: str, value: float) -> None:
        """Pass an option to the plugins (radio uses ``seed_track``)."""
        ...
