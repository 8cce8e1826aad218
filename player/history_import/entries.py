"""What a reader yields for each entry of an export, and how its time is read."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class Source(enum.StrEnum):
    """Where a play came from: Segue itself or the service an export was made by."""

    LOCAL = "local"
    LASTFM = "lastfm"
    SPOTIFY = "spotify"
    LISTENBRAINZ = "listenbrainz"


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of an export, as read (nothing matched yet).

    Attributes:
        file: The file it came from (``archive.zip!member`` inside a zip).
        index: 1-based index within the file (CSV: data rows after any header; JSON: array
            elements or lines).
        source: The service that wrote the export.
        played_at: When the play started, in seconds since the epoch (UTC).
        artist: Artist as the export names it.
        title: Track title.
        album: Album, or ``""``.
        duration_ms: The track's length when the export gives it.
        played_ms: How much was heard when the export says (Spotify).
        skipped: The export says the listener skipped it.
        mbid: MusicBrainz recording id, or ``""``.
        ignored: Why the entry is not a play (now-playing row, podcast), or ``""``.
        error: Why the entry could not be read (a bad date, missing fields), or ``""``.
        stamp: The time as the export writes it, when that is not the start (Spotify writes
            when a play ended), else 0.
    """

    file: str
    index: int
    source: Source
    played_at: float = 0.0
    artist: str = ""
    title: str = ""
    album: str = ""
    duration_ms: int | None = None
    played_ms: int | None = None
    skipped: bool = False
    mbid: str = ""
    ignored: str = ""
    error: str = ""
    stamp: float = 0.0


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
# "24 Jan 2023, 09:42" (Last.fm's web export) and "08 Sep 2018 11:52" (lastfm-to-csv): English
# month names whatever the locale (strptime's %b follows the locale, which Qt sets).
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([A-Za-z]+)\.? (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_time(text: str) -> float | None:
    """Seconds since the epoch from unix seconds (or ms) or a date as the exports write it.

    Understood: ``1536407564`` (also with decimals, or in ms), ``2018-09-08 11:52:44``,
    ``2018-09-08 11:52``, ISO 8601 (with a zone or ``Z``), ``24 Jan 2023, 09:42``,
    ``08 Sep 2018 11:52`` and RFC 2822 (``Sat, 08 Sep 2018 11:52:44 GMT``). Text without a zone
    is UTC (what Last.fm and Spotify write). Returns ``None`` for an empty value or time 0 (a
    now-playing row).

    Raises:
        ValueError: The text is not a time any export writes.
    """
    text = text.strip()
    if not text:
        return None
    if text[0].isdigit() and text.replace(".", "", 1).isdigit():
        value = float(text)
        if value > 1e11:  # milliseconds
            value /= 1000.0
        return value or None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = _day_month_year(text)
        except ValueError:
            moment = _rfc2822(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def lastfm_entry(
    file: str, index: int, time: str, artist: str, title: str, album: str = "", mbid: str = ""
) -> Entry:
    """A Last.fm scrobble from its fields as text (a CSV row's columns or the API's JSON): an
    error for a time no export writes or a missing name; ignored without a time (now playing)."""
    try:
        at = parse_time(time)
    except ValueError as error:
        return Entry(file, index, Source.LASTFM, artist=artist, title=title, error=str(error))
    if at is None:
        return Entry(file, index, Source.LASTFM, artist=artist, title=title,
                     ignored="no time (now playing)")  # fmt: skip
    if not artist or not title:
        return Entry(file, index, Source.LASTFM, error="no artist or title")
    return Entry(file, index, Source.LASTFM, at, artist, title, album=album, mbid=mbid.lower())


def _rfc2822(text: str) -> datetime:
    """``Sat, 08 Sep 2018 11:52:44 GMT`` (HTTP and e-mail dates)."""
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"bad date {text!r}") from None


def _day_month_year(text: str) -> datetime:
    found = _DAY_MONTH_YEAR.fullmatch(text)
    month = _MONTHS.get(found.group(2).lower(), 0) if found else 0
    if found is None or not month:
        raise ValueError(f"bad date {text!r}")
    day, _, year, hour, minute, second = found.groups()
    try:
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        raise ValueError(f"bad date {text!r}") from None
