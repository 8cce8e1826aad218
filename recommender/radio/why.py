"""Why radio chose a track, in plain words, from what actually drove the pick.

A pick is drawn from the model or from the library-structure prior (:mod:`mixture`). A prior
pick is explained by the tie the prior weighed (next on the album, same artist, genre, year).
A model pick is explained by what the model learned it from, looked up in the listener's own
history (:class:`ListeningIndex`, built from the sessions the model trains on): the transition
from the track just heard and how many times it happened, a track new to the listener and the
heard track it is nearest to, or an artist played lately. No torch here.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from player.plugin_api import SessionRecord, TrackInfo
from recommender.radio.prior import ColdStartPrior
from recommender.sessions import session_from_plays

#: An artist played within this many seconds counts as "played lately".
RECENT_ARTIST_S = 6 * 24 * 3600.0
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class ListeningIndex:
    """What the listener's history says about tracks: transitions, plays, when artists played.

    Attributes:
        transitions: ``{(a, b): times b directly followed a}`` in the heard sequences (the
            sequences training uses: failed plays and early skips left out).
        plays: ``{track_id: times heard}`` over the same sequences.
        artist_last: ``{artist (case-folded): when a track by them last started}``.
        sessions: Ids of the sessions counted (each is counted once).
        started: Tracks started since the plugin loaded (the open session is not counted yet).
    """

    transitions: Counter[tuple[int, int]] = field(default_factory=Counter)
    plays: Counter[int] = field(default_factory=Counter)
    artist_last: dict[str, float] = field(default_factory=dict)
    sessions: set[int] = field(default_factory=set)
    started: set[int] = field(default_factory=set)

    def add(
        self, sessions: Sequence[SessionRecord], info: Callable[[int], TrackInfo | None]
    ) -> None:
        """Count ``sessions`` (closed ones, each once)."""
        for session in sessions:
            if session.session_id in self.sessions:
                continue
            self.sessions.add(session.session_id)
            items = session_from_plays(session.plays).items
            self.plays.update(items)
            self.transitions.update(itertools.pairwise(items))
            for play in session.plays:
                track = info(play.track_id)
                if track is not None and track.artist:
                    key = track.artist.casefold()
                    self.artist_last[key] = max(self.artist_last.get(key, 0.0), play.started_at)

    def keep_live(self, old: ListeningIndex) -> None:
        """Carry over what ``old`` learned from the open session (started tracks, artists)."""
        self.started |= old.started
        for artist, when in old.artist_last.items():
            self.artist_last[artist] = max(self.artist_last.get(artist, 0.0), when)

    def heard(self, track_id: int, track: TrackInfo | None, timestamp: float) -> None:
        """A track started now: no longer new, and its artist played lately."""
        self.started.add(track_id)
        if track is not None and track.artist:
            self.artist_last[track.artist.casefold()] = timestamp


def explain(
    track_id: int,
    *,
    from_model: bool,
    heard: Sequence[int],
    prior: ColdStartPrior,
    index: ListeningIndex,
    loved: frozenset[int] = frozenset(),
    nearest: Callable[[int, Sequence[int]], int | None] | None = None,
    now: float | None = None,
) -> str:
    """The reason for a pick, one short line.

    Args:
        track_id: The pick.
        from_model: The model drew it (else the prior did).
        heard: Tracks heard (or queued) before it, oldest first; the last is what it follows.
        prior: The library (names, album order, artist and genre ties).
        index: The listener's history.
        loved: Tracks the listener loves.
        nearest: ``nearest(track, candidates)``: the candidate the model finds most alike.
        now: The time (default: the clock).
    """
    last = heard[-1] if heard else None
    relation = prior.relation(last, track_id)
    if not from_model:
        return _structure(track_id, last, relation, prior, heard)
    names = _Names(prior)
    if last is not None and (n := index.transitions.get((last, track_id), 0)):
        if n == 1:
            return f"followed {names.title(last)} once in your history"
        return f"often follows {names.title(last)} in your history ({n} times)"
    if relation == "successor":
        return f"next on the album {names.album(track_id)}"
    if index.plays.get(track_id, 0) == 0 and track_id not in index.started:
        like = nearest(track_id, heard[-10:]) if nearest is not None else None
        if like is None:
            like = next((t for t in reversed(heard) if prior.relation(t, track_id)), None)
        return f"new to you, like {names.title(like)}" if like is not None else "new to you"
    if track_id in loved:
        return "you love it"
    info = prior.info(track_id)
    artist = info.artist.casefold() if info is not None and info.artist else ""
    when = index.artist_last.get(artist)
    clock = time.time() if now is None else now
    last_info = prior.info(last) if last is not None else None
    same_as_last = last_info is not None and last_info.artist.casefold() == artist
    if artist and when is not None and clock - when < RECENT_ARTIST_S and not same_as_last:
        return f"by {names.artist(track_id)}, whom you played {_when(when, clock)}"
    if relation in ("album", "artist"):
        return _structure(track_id, last, relation, prior, heard)
    plays = index.plays[track_id]
    if not plays:
        return "one you played lately"
    return f"one of yours: played {plays} time{'s' if plays != 1 else ''}"


def _structure(
    track_id: int, last: int | None, relation: str, prior: ColdStartPrior, heard: Sequence[int]
) -> str:
    names = _Names(prior)
    if relation == "successor":
        return f"next on the album {names.album(track_id)}"
    if relation == "album":
        return f"from the album {names.album(track_id)}, like {names.title(last)}"
    if relation == "artist":
        return f"more by {names.artist(track_id)}"
    if relation == "genre":
        info = prior.info(track_id)
        return f"more {info.genre if info else ''}, like {names.title(last)}"
    if relation == "year":
        info = prior.info(track_id)
        return f"from {info.year if info else ''}, like {names.title(last)}"
    return "a wild card from your library"


class _Names:
    """Titles, albums and artists in italics-free plain words (quoted titles)."""

    def __init__(self, prior: ColdStartPrior) -> None:
        self._prior = prior

    def title(self, track_id: int | None) -> str:
        info = self._prior.info(track_id) if track_id is not None else None
        if info is None:
            return "an earlier track"
        return f"“{info.title or info.path.rsplit('/', 1)[-1]}”"

    def album(self, track_id: int) -> str:
        info = self._prior.info(track_id)
        return f"“{info.album}”" if info is not None and info.album else "it belongs to"

    def artist(self, track_id: int) -> str:
        info = self._prior.info(track_id)
        return info.artist if info is not None and info.artist else "the same artist"


def _when(then: float, now: float) -> str:
    """``this morning``, ``yesterday``, ``on Tuesday``... (local time)."""
    a, b = time.localtime(then), time.localtime(now)
    days = (
        time.mktime((b.tm_year, b.tm_mon, b.tm_mday, 0, 0, 0, 0, 0, -1))
        - time.mktime((a.tm_year, a.tm_mon, a.tm_mday, 0, 0, 0, 0, 0, -1))
    ) / 86400.0
    days = round(days)
    if days <= 0:
        part = "morning" if a.tm_hour < 12 else "afternoon" if a.tm_hour < 18 else "evening"
        return "within the hour" if now - then < 3600 else f"this {part}"
    if days == 1:
        return "yesterday"
    return f"on {_DAYS[a.tm_wday]}"
