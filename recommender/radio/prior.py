"""Day-one radio from the library's structure: a transition prior mixed with the model.

With no listening history the model knows nothing, yet the library already says a lot: tracks
of an album play in order, an artist's tracks belong together, and genre and year hint at what
sits well next. :class:`ColdStartPrior` turns that into ``p_prior(next | previous)``; the plugin
mixes it with the model's distribution as ``(1 - a) * p_model + a * p_prior`` where
``a = prior_weight(n_sessions)`` fades as real sessions accumulate (half at ``half_life``
sessions).

numpy only (no torch, no Qt): the player's fallback and the benchmarks can use it cheaply.
"""

from __future__ import annotations

from collections.abc import Collection, ItemsView, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from player.albums import album_key, album_successors
from player.plugin_api import TrackInfo
from recommender.tags import Tagged

_FAR = 1e9


@dataclass(frozen=True)
class PriorWeights:
    """Unnormalised weights of each kind of relation to the previous track."""

    successor: float = 40.0  # the next track of the same album
    album: float = 2.0  # any other track of the same album
    artist: float = 3.0  # same artist (a different album)
    genre: float = 0.6
    year: float = 0.4  # scaled by exp(-|year difference| / year_scale)
    year_scale: float = 4.0
    base: float = 0.02  # everything allowed keeps a little mass
    skip_penalty: float = 0.2  # multiplies tracks sharing artist/album with a skipped track
    love_boost: float = 3.0  # multiplies tracks sharing artist/album with a just-loved track


def prior_weight(n_sessions: int, half_life: float = 25.0) -> float:
    """Share of the prior in the mixed distribution after ``n_sessions`` real sessions."""
    return half_life / (half_life + max(0, n_sessions))


def _codes(values: Iterable[str], count: int) -> np.ndarray:
    """A code per value, in order of first appearance (-1 for an empty one)."""
    table: dict[str, int] = {}
    return np.fromiter(
        (table.setdefault(v, len(table)) if v else -1 for v in values), np.int32, count
    )


class ColdStartPrior:
    """Transition prior over the library built from album, artist, genre and year.

    Args:
        tracks: The library; unavailable tracks get no mass.
        weights: Relation weights.
    """

    def __init__(self, tracks: Sequence[TrackInfo], weights: PriorWeights | None = None) -> None:
        self.weights = weights or PriorWeights()
        order = sorted(tracks, key=lambda t: t.track_id)
        #: The library's records, in track id order.
        self.records: Sequence[TrackInfo] = order
        self.track_ids = np.asarray([t.track_id for t in order], dtype=np.int64)
        # Library ids are SQLite row ids: dense, so a lookup table maps ids to rows (a dict of
        # 100,000 ids cost ten times its memory); a dict only for ids spread far apart.
        top = int(self.track_ids.max()) if len(order) else 0
        self._dense: np.ndarray | None = None
        self._row: dict[int, int] = {}
        n = len(order)
        if top <= 4 * n + 1024:
            self._dense = np.full(top + 1, -1, dtype=np.int32)
            self._dense[self.track_ids] = np.arange(n, dtype=np.int32)
        else:
            self._row = {int(t): i for i, t in enumerate(self.track_ids)}
        self._artist = _codes((t.artist.casefold() for t in order), n)
        self._album = _codes(("\x00".join(album_key(t) or ()) for t in order), n)
        self._genre = _codes((t.genre.casefold() for t in order), n)
        year = np.fromiter((t.year or np.nan for t in order), np.float32, n)
        # a library holds a few dozen distinct years: the year term is computed per year, not per
        # track (np.exp over 100,000 float64 took ~2 ms of each cold-start pick)
        years, code = np.unique(year, return_inverse=True)
        self._years, self._year_code = years.astype(np.float64), code.astype(np.int32)
        self.available = np.fromiter((t.available for t in order), bool, n)
        self._successor = np.full(n, -1, dtype=np.int32)
        pairs = album_successors(order)
        if pairs:
            ids = np.fromiter(pairs.keys(), dtype=np.int64, count=len(pairs))
            following = np.fromiter(pairs.values(), dtype=np.int64, count=len(pairs))
            self._successor[self.rows_of(ids)] = self.rows_of(following)
        del pairs
        self._members = {"artist": _Groups(self._artist), "album": _Groups(self._album)}
        self.unavailable_ids = frozenset(int(t) for t in self.track_ids[~self.available])

    def tags(self) -> Mapping[int, Tagged]:
        """The library's records as the model's tags, by track id (a view, not a copy)."""
        return _RecordTags(self)

    def __len__(self) -> int:
        return len(self.track_ids)

    def row(self, track_id: int) -> int | None:
        """Row of ``track_id`` in :attr:`track_ids`, or None."""
        dense = self._dense
        if dense is None:
            return self._row.get(track_id)
        row = int(dense[track_id]) if 0 <= track_id < len(dense) else -1
        return row if row >= 0 else None

    def info(self, track_id: int) -> TrackInfo | None:
        """The library's record of ``track_id``, or None."""
        row = self.row(track_id)
        return self.records[row] if row is not None else None

    def code(self, kind: str, track_id: int) -> int:
        """The ``artist`` or ``album`` code of ``track_id`` (-1: untagged or unknown)."""
        row = self.row(track_id)
        if row is None:
            return -1
        return int((self._artist if kind == "artist" else self._album)[row])

    def distinct(self, kind: str) -> int:
        """How many ``artist`` or ``album`` codes the library holds."""
        return len(self._members[kind])

    def rows_with(self, kind: str, codes: Collection[int]) -> np.ndarray:
        """Rows of every track whose ``artist`` or ``album`` code is among ``codes``."""
        return self._members[kind].rows(codes)

    def relation(self, previous: int | None, track_id: int) -> str:
        """The strongest tie of ``track_id`` to ``previous`` the prior weighs: ``successor``,
        ``album``, ``artist``, ``genre``, ``year`` (within two years) or ``""``."""
        a = self.row(previous) if previous is not None else None
        b = self.row(track_id)
        if a is None or b is None:
            return ""
        if self._successor[a] == b:
            return "successor"
        for kind, codes in (("album", self._album), ("artist", self._artist)):
            if codes[a] >= 0 and codes[a] == codes[b]:
                return kind
        if self._genre[a] >= 0 and self._genre[a] == self._genre[b]:
            return "genre"
        years = self._years[self._year_code[[a, b]]]
        if abs(years[0] - years[1]) <= 2:  # NaN compares false
            return "year"
        return ""

    def rows_of(self, track_ids: np.ndarray) -> np.ndarray:
        """Rows of many ids at once (``-1`` for ids not in the library)."""
        ids = np.asarray(track_ids, dtype=np.int64)
        if self._dense is not None:
            inside = (ids >= 0) & (ids < len(self._dense))
            return np.where(inside, self._dense[np.where(inside, ids, 0)], -1)
        if len(self.track_ids) == 0:
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = np.searchsorted(self.track_ids, ids)
        pos = np.minimum(pos, len(self.track_ids) - 1)
        return np.where(self.track_ids[pos] == ids, pos, -1)

    def mask(self, exclude: Collection[int]) -> np.ndarray:
        """Boolean mask of rows that may be picked: available and not excluded."""
        allowed = self.available.copy()
        if exclude:
            rows = self.rows_of(np.fromiter(exclude, dtype=np.int64, count=len(exclude)))
            allowed[rows[rows >= 0]] = False
        return allowed

    def scores(
        self, previous: int | None, *, avoid: Sequence[int] = (), favour: Sequence[int] = ()
    ) -> np.ndarray:
        """Unnormalised prior weight of every row after ``previous``.

        Args:
            previous: The track just heard (None: no context, uniform).
            avoid: Recently skipped tracks: rows sharing their artist or album are damped.
            favour: Recently loved tracks: rows sharing their artist or album are raised.
        """
        w = self.weights
        out = np.full(len(self.track_ids), w.base, dtype=np.float64)
        prev = self.row(previous) if previous is not None else None
        if prev is not None:
            album, artist, genre = self._album[prev], self._artist[prev], self._genre[prev]
            if album >= 0:
                out[self._album == album] += w.album
            if artist >= 0:
                out[(self._artist == artist) & (self._album != album)] += w.artist
            if genre >= 0:
                out[self._genre == genre] += w.genre
            year = self._years[self._year_code[prev]]
            if not np.isnan(year):
                diff = np.nan_to_num(np.abs(self._years - year), nan=_FAR)
                out += (w.year * np.exp(-diff / w.year_scale))[self._year_code]
            if self._successor[prev] >= 0:
                out[self._successor[prev]] += w.successor
            out[prev] = w.base * 0.01  # the same track again is nearly never right
        for tracks, factor in ((avoid, w.skip_penalty), (favour, w.love_boost)):
            for track in tracks:
                row = self.row(track)
                if row is None:
                    continue
                near = self._artist == self._artist[row]
                if self._album[row] >= 0:
                    near |= self._album == self._album[row]
                out[near] *= factor
        return out


class _Groups:
    """The rows holding each code >= 0, as one sorted array of rows and where each code's run
    starts (50,000 albums took 7 MB as a dict of small arrays)."""

    def __init__(self, codes: np.ndarray) -> None:
        order = np.argsort(codes, kind="stable").astype(np.int32)
        values = codes[order]
        keep = values >= 0
        self._order, values = order[keep], values[keep]
        self._count = int(values[-1]) + 1 if len(values) else 0
        # codes run from 0 without gaps (first appearance), so each has a start
        self._starts = np.searchsorted(values, np.arange(self._count + 1)).astype(np.int64)

    def __len__(self) -> int:
        return self._count

    def rows(self, codes: Collection[int]) -> np.ndarray:
        """Rows of every track holding one of ``codes`` (unknown codes hold none)."""
        parts = [
            self._order[self._starts[c] : self._starts[c + 1]]
            for c in codes
            if 0 <= c < self._count
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


class _RecordTags(Mapping[int, Tagged]):
    """:meth:`ColdStartPrior.tags`: the prior's records by track id, read through its rows."""

    def __init__(self, prior: ColdStartPrior) -> None:
        self._prior = prior

    def __getitem__(self, track_id: int) -> Tagged:
        found = self._prior.info(track_id)
        if found is None:
            raise KeyError(track_id)
        return found

    def __iter__(self) -> Iterator[int]:
        return (int(t) for t in self._prior.track_ids)

    def __len__(self) -> int:
        return len(self._prior)

    def items(self) -> ItemsView[int, Tagged]:
        """``(track id, record)`` in track id order, without a look-up each."""
        return _RecordItems(self)


class _RecordItems(ItemsView[int, Tagged]):
    def __iter__(self) -> Iterator[tuple[int, Tagged]]:
        prior = self._mapping._prior  # type: ignore[attr-defined]
        return zip((int(t) for t in prior.track_ids), prior.records, strict=True)
