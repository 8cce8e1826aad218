"""Reading audio tags with mutagen into plain records, with fallbacks for missing or odd tags."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

import mutagen
from mutagen.aac import AAC
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Tags
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

UNKNOWN_ARTIST = "Unknown artist"

# The likely mutagen class for each suffix: trying it first skips mutagen's format guessing.
CLASS_BY_SUFFIX: dict[str, Any] = {
    ".mp3": MP3,
    ".flac": FLAC,
    ".ogg": OggVorbis,
    ".oga": OggVorbis,
    ".opus": OggOpus,
    ".m4a": MP4,
    ".m4b": MP4,
    ".mp4": MP4,
    ".aac": AAC,
    ".wav": WAVE,
}
AUDIO_SUFFIXES = frozenset(CLASS_BY_SUFFIX)

_CODEC_BY_CLASS = {
    "MP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "vorbis",
    "OggOpus": "opus",
    "OggFLAC": "flac",
    "AAC": "aac",
    "WAVE": "pcm",
}
_ID3_KEYS = {
    "title": "TIT2",
    "artist": "TPE1",
    "album_artist": "TPE2",
    "album": "TALB",
    "track": "TRCK",
    "disc": "TPOS",
    "genre": "TCON",
    "date": "TDRC",
}
_VORBIS_KEYS = {
    "title": "title",
    "artist": "artist",
    "album_artist": "albumartist",
    "album": "album",
    "track": "tracknumber",
    "disc": "discnumber",
    "genre": "genre",
    "date": "date",
}
_MP4_KEYS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album_artist": "aART",
    "album": "\xa9alb",
    "genre": "\xa9gen",
    "date": "\xa9day",
}
_LEADING_NUMBER = re.compile(r"\s*(\d+)")
_YEAR = re.compile(r"(\d{4})")


class TagError(Exception):
    """The file could not be read as audio; the message says why, for a human."""


@dataclass(frozen=True, slots=True)
class TagInfo:
    """What the library stores about a file's contents."""

    title: str
    artist: str
    album_artist: str
    album: str
    track_number: int | None
    disc_number: int | None
    genre: str
    year: int | None
    duration_ms: int | None
    codec: str
    has_embedded_cover: bool


def read_tags(path: str) -> TagInfo:
    """Read ``path`` once with mutagen and return its tags, falling back where they are missing.

    The title falls back to the file name, the artist to ``"Unknown artist"``.

    Raises:
        TagError: Empty, vanished, unreadable, truncated or unrecognised file.
    """
    audio = _open(path)
    raw: dict[str, str] = {}
    cover = False
    tags = audio.tags
    if isinstance(tags, ID3):
        raw, cover = _from_id3(tags)
    elif isinstance(tags, MP4Tags):
        raw, cover = _from_mp4(tags)
    elif isinstance(tags, list):  # Vorbis comments (FLAC, Ogg): a list of (key, value) pairs
        raw, cover = _from_vorbis(tags)
    cover = cover or bool(getattr(audio, "pictures", None))
    length = getattr(audio.info, "length", 0) or 0
    return TagInfo(
        title=raw.get("title") or display_stem(path),
        artist=raw.get("artist") or UNKNOWN_ARTIST,
        album_artist=raw.get("album_artist", ""),
        album=raw.get("album", ""),
        track_number=_number(raw.get("track")),
        disc_number=_number(raw.get("disc")),
        genre=raw.get("genre", ""),
        year=_year(raw.get("date")),
        duration_ms=round(length * 1000) if math.isfinite(length) and length > 0 else None,
        codec=_codec(audio),
        has_embedded_cover=cover,
    )


def _open(path: str) -> Any:
    try:
        if os.path.getsize(path) == 0:
            raise TagError("empty file (0 bytes)")
        cls = CLASS_BY_SUFFIX.get(os.path.splitext(path)[1].lower())
        if cls is not None:
            try:
                return cls(path)
            except FileNotFoundError:
                raise
            except Exception:  # wrong guess (e.g. Opus in .ogg): let mutagen sniff
                pass
        audio = mutagen.File(path)
    except TagError:
        raise
    except FileNotFoundError:
        raise TagError("the file disappeared during the scan") from None
    except PermissionError as error:
        raise TagError(f"cannot read the file: {error.strerror}") from None
    except Exception as error:  # mutagen raises many kinds on broken files
        raise TagError(f"unreadable or corrupt audio ({type(error).__name__}: {error})") from None
    if audio is None:
        raise TagError("not a recognised audio format")
    return audio


def _from_id3(tags: ID3) -> tuple[dict[str, str], bool]:
    raw: dict[str, str] = {}
    for key, frame_id in _ID3_KEYS.items():
        frame = tags.get(frame_id)
        if frame is None or not frame.text:
            continue
        text = clean(str(frame.text[0]))
        if getattr(frame, "encoding", None) == 0:  # declared latin-1: often UTF-8 in disguise
            text = fix_mojibake(text)
        raw[key] = text
    cover = any(key.startswith("APIC") for key in tags)
    return raw, cover


def _from_vorbis(tags: list[tuple[str, str]]) -> tuple[dict[str, str], bool]:
    # One pass: VCommentDict.get() scans the whole list for every key it is asked.
    first: dict[str, str] = {}
    for key, value in tags:
        first.setdefault(key.lower(), value)
    raw = {key: clean(first[name]) for key, name in _VORBIS_KEYS.items() if name in first}
    return raw, "metadata_block_picture" in first or "coverart" in first


def _from_mp4(tags: MP4Tags) -> tuple[dict[str, str], bool]:
    raw = {key: _first(tags.get(atom)) for key, atom in _MP4_KEYS.items()}
    for key, atom in (("track", "trkn"), ("disc", "disk")):
        value = tags.get(atom)
        if value and isinstance(value[0], tuple) and value[0][0]:
            raw[key] = str(value[0][0])
    return raw, bool(tags.get("covr"))


def _first(values: Any) -> str:
    if not values:
        return ""
    return clean(str(values[0]))


def clean(text: str) -> str:
    """Strip NULs and blanks; make sure SQLite can store the text (valid UTF-8)."""
    text = text.replace("\x00", " ").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as latin-1 (``"CafÃ©"`` -> ``"Café"``)."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def display_stem(path: str) -> str:
    """The file name without suffix, readable even when the name is not valid UTF-8."""
    stem = os.path.splitext(os.path.basename(path))[0]
    raw = os.fsencode(stem)
    try:
        return raw.decode("utf-8").strip() or stem
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _number(text: str | None) -> int | None:
    match = _LEADING_NUMBER.match(text or "")
    return int(match.group(1)) or None if match else None


def _year(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def _codec(audio: Any) -> str:
    name = type(audio).__name__
    if name == "MP4":
        codec = str(getattr(audio.info, "codec", ""))
        return "aac" if codec.startswith("mp4a") else codec or "mp4"
    return _CODEC_BY_CLASS.get(name, name.lower())
