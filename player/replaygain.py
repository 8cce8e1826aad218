"""ReplayGain: gain and peak values read from tag text, and the volume factor a track plays at.

Pure Python (no Qt): ``player.tags`` parses the tags with it, ``player.gain_control`` applies
the result to playback.
"""

from __future__ import annotations

import enum
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

# A full-scale square wave needs about -21 dB; +30 dB lifts a track mastered at -48 LUFS.
# A gain outside these bounds is not a measurement (a typo, "+99 dB", a broken tagger).
MIN_GAIN_DB = -30.0
MAX_GAIN_DB = 30.0
# Peaks are linear amplitudes (1.0 = full scale); decoded lossy files overshoot a little.
MAX_PEAK = 10.0
# Opus R128 gains are relative to -23 LUFS; ReplayGain 2 plays at -18 LUFS.
R128_TO_REPLAYGAIN_DB = 5.0

_GAIN = re.compile(r"^\s*([+\-−]?(?:\d+(?:[.,]\d*)?|[.,]\d+))\s*(?:db)?\s*$", re.IGNORECASE)
_PEAK = re.compile(r"^\s*(\+?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[+\-]?\d+)?)\s*$", re.IGNORECASE)
_R128 = re.compile(r"^\s*([+\-]?\d{1,6})\s*$")

#: The tag keys every format uses (ID3 TXXX descriptions, Vorbis comments, MP4 freeform names,
#: APE and ASF keys), lower-cased, and the field each fills.
TAG_FIELDS = {
    "replaygain_track_gain": "track_gain",
    "replaygain_track_peak": "track_peak",
    "replaygain_album_gain": "album_gain",
    "replaygain_album_peak": "album_peak",
    "r128_track_gain": "r128_track_gain",
    "r128_album_gain": "r128_album_gain",
}


class GainMode(enum.StrEnum):
    """Which gain playback applies: none, the track's, the album's, or the album's while an
    album plays through (consecutive tracks of one album in the queue), else the track's."""

    OFF = "off"
    TRACK = "track"
    ALBUM = "album"
    AUTO = "auto"

    @classmethod
    def parse(cls, value: object) -> GainMode:
        """A stored setting as a mode (automatic when it is not one)."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.AUTO


@dataclass(frozen=True, slots=True)
class ReplayGain:
    """A track's gains (dB) and peaks (linear); None where the tags have none (or nonsense)."""

    track_gain: float | None = None
    track_peak: float | None = None
    album_gain: float | None = None
    album_peak: float | None = None

    @property
    def empty(self) -> bool:
        """Whether no gain is known."""
        return self.track_gain is None and self.album_gain is None


@dataclass(frozen=True, slots=True)
class AppliedGain:
    """What playback applies: ``factor`` multiplies the user's volume.

    ``source`` is ``"track"`` or ``"album"`` (empty: no gain applied); ``limited`` is True when
    the peak held the gain down.
    """

    factor: float = 1.0
    source: str = ""
    limited: bool = False

    @property
    def db(self) -> float:
        """The applied gain in dB."""
        return 20 * math.log10(self.factor)

    def describe(self) -> str:
        """One line for the now-playing panel, e.g. ``ReplayGain: −6.2 dB (album)``."""
        if not self.source:
            return "ReplayGain: none in the tags"
        db = self.db
        sign = "+" if db > 0.05 else ("−" if db < -0.05 else "±")
        detail = f"{self.source}, held down by the peak" if self.limited else self.source
        return f"ReplayGain: {sign}{abs(db):.1f} dB ({detail})"


def parse_gain(text: str) -> float:
    """A gain tag's value in dB (``"-6.20 dB"``, ``"+3,1"``).

    Raises:
        ValueError: Not a number of dB, or outside what a measurement can give.
    """
    match = _GAIN.match(text)
    if match is None:
        raise ValueError("not a number of dB")
    value = float(match.group(1).replace(",", ".").replace("−", "-"))
    if not MIN_GAIN_DB <= value <= MAX_GAIN_DB:
        raise ValueError(f"outside {MIN_GAIN_DB:+g}..{MAX_GAIN_DB:+g} dB")
    return value


def parse_peak(text: str) -> float:
    """A peak tag's value (linear amplitude, ``"0.988525"``).

    Raises:
        ValueError: Not a number, zero or negative, or absurdly large.
    """
    match = _PEAK.match(text)
    if match is None:
        raise ValueError("not a number")
    value = float(match.group(1).replace(",", "."))
    if not 0.0 < value <= MAX_PEAK:
        raise ValueError(f"outside 0..{MAX_PEAK:g}")
    return value


def parse_r128(text: str) -> float:
    """An Opus ``R128_*_GAIN`` value (Q7.8 fixed point, relative to -23 LUFS) as ReplayGain dB.

    Raises:
        ValueError: Not an integer, or a gain outside what a measurement can give.
    """
    match = _R128.match(text)
    if match is None:
        raise ValueError("not an integer")
    value = int(match.group(1)) / 256 + R128_TO_REPLAYGAIN_DB
    if not MIN_GAIN_DB <= value <= MAX_GAIN_DB:
        raise ValueError(f"outside {MIN_GAIN_DB:+g}..{MAX_GAIN_DB:+g} dB")
    return value


def from_tags(texts: Mapping[str, str], where: str) -> ReplayGain | None:
    """Read the values of :data:`TAG_FIELDS` keys (lower-cased) into a :class:`ReplayGain`.

    A value that is not a plausible gain or peak is ignored with a log line naming ``where``
    (the file). Returns None when no gain is left.
    """
    values: dict[str, float] = {}
    for key, text in texts.items():
        field = TAG_FIELDS.get(key)
        if field is None:
            continue
        parse = parse_peak if field.endswith("peak") else parse_gain
        if field.startswith("r128_"):
            parse, field = parse_r128, field[len("r128_") :]
            if field in values:  # a REPLAYGAIN_* tag beside it wins
                continue
        try:
            values[field] = parse(text)
        except ValueError as error:
            log.warning("Ignoring ReplayGain tag %s=%r in %r: %s", key, text, where, error)
    gain = ReplayGain(
        track_gain=values.get("track_gain"),
        track_peak=values.get("track_peak"),
        album_gain=values.get("album_gain"),
        album_peak=values.get("album_peak"),
    )
    return None if gain.empty else gain


def applied_gain(gain: ReplayGain | None, mode: GainMode, album_through: bool) -> AppliedGain:
    """The gain to play a track at.

    Album gain in ``ALBUM`` mode, or in ``AUTO`` mode while an album plays through; track gain
    otherwise; each falls back to the other when missing. Peak protection: the factor never
    exceeds ``1 / peak`` (the file's own headroom; the track's peak, else the album's), and
    without a known peak never exceeds 1 (unity). A value that is not finite or out of range
    (e.g. from an old database) counts as missing.
    """
    if gain is None or mode == GainMode.OFF:
        return AppliedGain()
    prefer_album = mode == GainMode.ALBUM or (mode == GainMode.AUTO and album_through)
    order = [("album", gain.album_gain), ("track", gain.track_gain)]
    if not prefer_album:
        order.reverse()
    choice = next(((s, db) for s, db in order if _plausible_gain(db)), None)
    if choice is None:
        return AppliedGain()
    source, db = choice
    assert db is not None
    peak = next((p for p in (gain.track_peak, gain.album_peak) if _plausible_peak(p)), None)
    ceiling = 1.0 / peak if peak is not None else 1.0
    factor = 10 ** (db / 20)
    if factor > ceiling:
        return AppliedGain(ceiling, source, limited=True)
    return AppliedGain(factor, source)


def album_through(previous: object, current: object, following: object) -> bool:
    """Whether the current track plays as part of its album: the entry before or after it in
    the queue is on the same album (album keys; None means no album)."""
    return current is not None and current in (previous, following)


def _plausible_gain(db: float | None) -> bool:
    return db is not None and math.isfinite(db) and MIN_GAIN_DB <= db <= MAX_GAIN_DB


def _plausible_peak(peak: float | None) -> bool:
    return peak is not None and math.isfinite(peak) and 0.0 < peak <= MAX_PEAK
