"""Reading one JSON element of each service's export: Spotify account data and extended
history, ListenBrainz listens, Last.fm API tracks, and flat objects named like CSV columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from player.history_import.entries import Entry, Source, lastfm_entry, parse_time
from player.history_import.lastfm_csv import CsvLayoutError, layout_of, row_entry

#: ``(file, index, element) -> Entry``.
Reader = Callable[[str, int, Mapping[str, Any]], Entry]


def json_reader(item: Any) -> Reader | None:
    """The reader for an array whose first element is ``item``, or None for no known export."""
    if not isinstance(item, dict):
        return None
    if "endTime" in item and ("msPlayed" in item or "trackName" in item or "episodeName" in item):
        return _spotify_account
    if "ts" in item and "ms_played" in item:
        return _spotify_extended
    if "listened_at" in item or "track_metadata" in item:
        return listenbrainz
    if "name" in item and "artist" in item and ("date" in item or "@attr" in item):
        return lastfm_track
    return _flat_reader(item)


def _flat_reader(item: Mapping[str, Any]) -> Reader | None:
    """Objects whose keys name columns as a Last.fm CSV's header does (``uts``, ``artist``,
    ``track``...), read like its rows."""
    keys = list(item)
    try:
        layout, header = layout_of(keys)
    except CsvLayoutError:
        return None
    if not header:
        return None

    def read(name: str, index: int, obj: Mapping[str, Any]) -> Entry:
        return row_entry(name, index, [_field(obj.get(key)) for key in keys], layout)

    return read


def _field(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def described(item: Any) -> str:
    """What an unknown JSON element looks like, for a message."""
    if isinstance(item, dict):
        return "objects with " + ", ".join(sorted(item)[:6])
    return type(item).__name__ + " values"


def _spotify_account(name: str, index: int, item: Mapping[str, Any]) -> Entry:
    if "episodeName" in item or "podcastName" in item:
        return Entry(name, index, Source.SPOTIFY, ignored="a podcast episode")
    played = _int(item.get("msPlayed"))
    try:
        end = parse_time(str(item.get("endTime") or ""))
    except ValueError as error:
        return Entry(name, index, Source.SPOTIFY, error=str(error))
    artist, title = _text(item.get("artistName")), _text(item.get("trackName"))
    if end is None:
        return Entry(name, index, Source.SPOTIFY, artist=artist, title=title, ignored="no time")
    if not artist or not title:
        return Entry(name, index, Source.SPOTIFY, error="no artistName or trackName")
    return Entry(
        name, index, Source.SPOTIFY, end - (played or 0) / 1000.0, artist, title,
        played_ms=played, stamp=end,
    )  # fmt: skip


def _spotify_extended(name: str, index: int, item: Mapping[str, Any]) -> Entry:
    title = _text(item.get("master_metadata_track_name"))
    artist = _text(item.get("master_metadata_album_artist_name"))
    if item.get("episode_name") or item.get("audiobook_title") or item.get("spotify_episode_uri"):
        return Entry(name, index, Source.SPOTIFY, ignored="a podcast or audiobook")
    if not title:
        return Entry(name, index, Source.SPOTIFY, ignored="not a track (no track name)")
    played = _int(item.get("ms_played"))
    try:
        end = parse_time(str(item.get("ts") or ""))
    except ValueError as error:
        return Entry(name, index, Source.SPOTIFY, artist=artist, title=title, error=str(error))
    if end is None:
        return Entry(name, index, Source.SPOTIFY, artist=artist, title=title, ignored="no time")
    reason = item.get("reason_end")
    skipped = item.get("skipped") is True or reason in ("fwdbtn", "backbtn")
    return Entry(
        name, index, Source.SPOTIFY, end - (played or 0) / 1000.0, artist, title,
        album=_text(item.get("master_metadata_album_album_name")), played_ms=played,
        skipped=skipped, stamp=end,
    )  # fmt: skip


def listenbrainz(name: str, index: int, item: Mapping[str, Any]) -> Entry:
    """A ListenBrainz listen (export line, export array element, API listen)."""
    meta = item.get("track_metadata")
    meta = meta if isinstance(meta, dict) else {}
    info = meta.get("additional_info")
    info = info if isinstance(info, dict) else {}
    mapping = meta.get("mbid_mapping")
    mapping = mapping if isinstance(mapping, dict) else {}
    artist, title = _text(meta.get("artist_name")), _text(meta.get("track_name"))
    if item.get("playing_now"):
        return Entry(name, index, Source.LISTENBRAINZ, artist=artist, title=title,
                     ignored="now playing")  # fmt: skip
    try:
        at = parse_time(str(item.get("listened_at") or ""))
    except ValueError as error:
        return Entry(name, index, Source.LISTENBRAINZ, error=str(error))
    if at is None:
        return Entry(name, index, Source.LISTENBRAINZ, artist=artist, title=title,
                     ignored="no time (now playing)")  # fmt: skip
    if not artist or not title:
        return Entry(name, index, Source.LISTENBRAINZ, error="no artist_name or track_name")
    duration = _int(info.get("duration_ms"))
    if duration is None and _int(info.get("duration")) is not None:
        duration = (_int(info.get("duration")) or 0) * 1000
    mbid = _text(info.get("recording_mbid")) or _text(mapping.get("recording_mbid"))
    return Entry(
        name, index, Source.LISTENBRAINZ, at, artist, title,
        album=_text(meta.get("release_name")), duration_ms=duration, mbid=mbid.lower(),
    )  # fmt: skip


def lastfm_page_tracks(item: Any) -> list[Any] | None:
    """The tracks of a Last.fm API page (``{"recenttracks": {"track": [...]}}``), else None."""
    page = item.get("recenttracks") if isinstance(item, dict) else None
    tracks = page.get("track") if isinstance(page, dict) else None
    if isinstance(tracks, dict):  # a page of one track
        return [tracks]
    return tracks if isinstance(tracks, list) else None


def lastfm_track(name: str, index: int, item: Mapping[str, Any]) -> Entry:
    """A track of Last.fm's API (``user.getRecentTracks``, also with ``extended=1``)."""
    artist, album, date = item.get("artist"), item.get("album"), item.get("date")
    artist_name = (
        _text(artist.get("#text") or artist.get("name"))
        if isinstance(artist, dict)
        else _text(artist)
    )
    title = _text(item.get("name"))
    attr = item.get("@attr")
    if isinstance(attr, dict) and str(attr.get("nowplaying")).lower() == "true":
        return Entry(name, index, Source.LASTFM, artist=artist_name, title=title,
                     ignored="now playing")  # fmt: skip
    return lastfm_entry(
        name, index, str(date.get("uts") or "") if isinstance(date, dict) else str(date or ""),
        artist_name, title,
        _text(album.get("#text")) if isinstance(album, dict) else _text(album),
        _text(item.get("mbid")),
    )  # fmt: skip


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
